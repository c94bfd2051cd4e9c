// @graph-invite/test-support/redis: the real redis-server every Redis test in the workspace starts.
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { type RedisServer, skipRedisTests, startRedis } from "@graph-invite/test-support/redis";
import { describe, expect, it } from "vitest";

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

/** The server's working folder, from `CONFIG GET dir` (`dir\n<path>`). */
const folderOf = async (redis: RedisServer) => (await redis.command("CONFIG", "GET", "dir")).split("\n")[1] ?? "";

describe("startRedis without a redis-server binary", () => {
  it("fails, saying how to install one and how to skip the Redis tests", async () => {
    const error = await startRedis({ searchPath: "/nonexistent" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toContain("apt-get install redis-server");
    expect(String(error)).toContain("brew install redis");
    expect(String(error)).toContain("GRAPH_INVITE_SKIP_REDIS=1");
  });
});

describe.skipIf(skipRedisTests)("startRedis", () => {
  it("starts a server on loopback that writes nothing to disk, and stop ends it", async () => {
    const redis = await startRedis();
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await redis.command("SET", "greeting", "hello")).toBe("OK");
      expect(await redis.command("GET", "greeting")).toBe("hello");
      expect(await redis.command("CONFIG", "GET", "appendonly")).toBe("appendonly\nno");
      expect(await redis.command("CONFIG", "GET", "save")).toBe("save\n");
      expect(await redis.command("CONFIG", "GET", "bind")).toBe("bind\n127.0.0.1");
    } finally {
      await redis.stop();
    }
    expect(await accepts(redis.port)).toBe(false);
  });

  it("keeps nothing across a restart by default, and comes back on the same port", async () => {
    const redis = await startRedis();
    try {
      await redis.command("SET", "k", "v");
      await redis.restart();
      expect(await redis.command("DBSIZE")).toBe("0");
    } finally {
      await redis.stop();
    }
  });

  it("with persistent, keeps an acknowledged write across a restart, and stop removes its folder", async () => {
    const redis = await startRedis({ persistent: true });
    let folder = "";
    try {
      folder = await folderOf(redis);
      expect(await redis.command("CONFIG", "GET", "appendfsync")).toBe("appendfsync\nalways");
      await redis.command("SET", "k", "v");
      await redis.restart();
      expect(await redis.command("GET", "k")).toBe("v");
      expect(await folderOf(redis)).toBe(folder);
    } finally {
      await redis.stop();
    }
    expect(folder).toContain("graph-invite-redis-");
    expect(existsSync(folder)).toBe(false);
  });

  it("kill ends the server at once and removes its folder", async () => {
    const redis = await startRedis({ persistent: true });
    const folder = await folderOf(redis);
    expect(existsSync(folder)).toBe(true);
    await redis.kill();
    expect(await accepts(redis.port)).toBe(false);
    expect(existsSync(folder)).toBe(false);
  });

  it("answers an error reply with a rejection that names the command", async () => {
    const redis = await startRedis();
    try {
      await expect(redis.command("NOSUCHCOMMAND")).rejects.toThrow(/redis NOSUCHCOMMAND: ERR unknown command/);
    } finally {
      await redis.stop();
    }
  });
});
