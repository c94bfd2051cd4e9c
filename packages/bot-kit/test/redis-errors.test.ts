// Which failures of a Redis command the store sends again, decided by node-redis's own error classes: a dropped
// connection and a server that says "not now" are retried; a closed client, a refused command and anything else fail
// at once.
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  RootNodesUnavailableError,
  SimpleError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
} from "redis";
import { describe, expect, test } from "vitest";
import { isReply, retryable } from "../src/redis/errors.js";

const withCode = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:6379`), { code });

describe("retryable", () => {
  test.each<[string, unknown]>([
    ["a socket closed under the command", new SocketClosedUnexpectedlyError()],
    ["a client offline, reconnecting", new ClientOfflineError()],
    ["a connect that timed out", new ConnectionTimeoutError()],
    ["a socket that timed out", new SocketTimeoutError(1000)],
    ["a cluster with no root node reachable", new RootNodesUnavailableError()],
    ["a server loading its data", new ErrorReply("LOADING Redis is loading the dataset in memory")],
    ["a server busy with a script", new ErrorReply("BUSY Redis is busy running a script")],
    ["a cluster slot moving", new ErrorReply("TRYAGAIN Multiple keys request during rehashing of slot")],
    ["a replica whose primary is down", new ErrorReply("MASTERDOWN Link with MASTER is down")],
    ["a cluster that is down", new ErrorReply("CLUSTERDOWN The cluster is down")],
    ["a subclass of an error reply", new SimpleError("LOADING Redis is loading the dataset in memory")],
    ...["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTCONN", "EHOSTUNREACH"].map(
      (code): [string, unknown] => [`the socket's ${code}`, withCode(code)],
    ),
  ])("retries %s", (_, error) => {
    expect(retryable(error)).toBe(true);
  });

  test.each<[string, unknown]>([
    ["a client closed on purpose", new ClientClosedError()],
    ["a client disconnected on purpose", new DisconnectsClientError()],
    ["a write refused for want of replicas", new ErrorReply("NOREPLICAS Not enough good replicas to write.")],
    ["a wrong command", new ErrorReply("ERR unknown command 'NOPE'")],
    ["a script missing", new ErrorReply("NOSCRIPT No matching script. Please use EVAL.")],
    ["a reply without a code", new ErrorReply("loading")],
    ["a reply whose code is not its first word", new ErrorReply("unknown, then LOADING")],
    ["another socket failure", withCode("ENOENT")],
    ["an error with a code that is not text", Object.assign(new Error("x"), { code: 104 })],
    ["a plain error", new Error("LOADING")],
    ["a thrown string", "LOADING"],
    ["nothing", undefined],
  ])("does not retry %s", (_, error) => {
    expect(retryable(error)).toBe(false);
  });

  test("a closed client is final even when its class also looks like a connection's", () => {
    class ClosedWhileOffline extends ClientClosedError {}
    expect(retryable(new ClosedWhileOffline())).toBe(false);
    expect(retryable(Object.assign(new ClientClosedError(), { code: "ECONNRESET" }))).toBe(false);
    expect(retryable(Object.assign(new DisconnectsClientError(), { code: "ECONNRESET" }))).toBe(false);
  });
});

test("an error whose prototype has no constructor is judged by the classes it has, without throwing", () => {
  const nameless = Object.create(ClientOfflineError.prototype, { constructor: { value: undefined } });
  const error = Object.create(nameless) as Error;
  expect(error).toBeInstanceOf(Error);
  expect(retryable(error)).toBe(true);
});

describe("isReply", () => {
  test("tells an error reply by its code", () => {
    const noScript = new ErrorReply("NOSCRIPT No matching script. Please use EVAL.");
    expect(isReply(noScript, "NOSCRIPT")).toBe(true);
    expect(isReply(new SimpleError("NOREPLICAS Not enough good replicas to write."), "NOREPLICAS")).toBe(true);
    expect(isReply(noScript, "NOSCRIPTS")).toBe(false);
    expect(isReply(noScript, "NO")).toBe(false);
    expect(isReply(new Error("NOSCRIPT No matching script."), "NOSCRIPT")).toBe(false);
    expect(isReply("NOSCRIPT", "NOSCRIPT")).toBe(false);
  });
});
