// Arbitrary and mutated scenarios, call seeds and token requests: the readers throw nothing but their own error,
// every error points at a place in the input, and a single broken field is reported at that field.

import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseScenario } from "../src/config.js";
import { graphResource, type Simulator, start } from "../src/index.js";
import {
  expectBadRequestOrValue,
  groupCall,
  mutate,
  mutatedAt,
  nearly,
  parseCallSeed,
  parsesAsJson,
  scenario,
} from "./config-fuzz-documents.js";

describe("the control API's readers", () => {
  it("PUT /simulator/scenario: only a 400 for any JSON value or text, pointing into it", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().map((value) => JSON.stringify(value)),
          fc.string(),
        ),
        (text) => {
          const target = expectBadRequestOrValue(
            () => parseScenario(text),
            parsesAsJson(text) ? JSON.parse(text) : undefined,
          );
          if (!parsesAsJson(text)) expect(target).toBe("");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("PUT /simulator/scenario: only a 400 for a scenario with one place changed, removed or added", () => {
    fc.assert(
      fc.property(nearly(scenario), (document) => {
        expectBadRequestOrValue(() => parseScenario(JSON.stringify(document)), document);
      }),
      { numRuns: 500 },
    );
  });

  it("PUT /simulator/scenario: a value of the wrong type is the 400's target", () => {
    fc.assert(
      fc.property(mutatedAt(scenario), ([pointer, replacement]) => {
        const document = mutate(scenario, pointer, replacement);
        expect(expectBadRequestOrValue(() => parseScenario(JSON.stringify(document)), document)).toBe(pointer);
      }),
      { numRuns: 500 },
    );
  });

  it("POST /simulator/calls: only a 400 for any JSON or a seed with one place changed, removed or added", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), nearly(groupCall)), (document) => {
        expectBadRequestOrValue(() => parseCallSeed(JSON.stringify(document)), document);
      }),
      { numRuns: 500 },
    );
  });

  it("POST /simulator/calls: a value of the wrong type is the 400's target", () => {
    fc.assert(
      fc.property(mutatedAt(groupCall), ([pointer, replacement]) => {
        const document = mutate(groupCall, pointer, replacement);
        expect(expectBadRequestOrValue(() => parseCallSeed(JSON.stringify(document)), document)).toBe(pointer);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the token endpoint's form", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await start();
  });
  afterAll(() => sim.close());

  const oauthErrors = [
    "invalid_request",
    "invalid_client",
    "unauthorized_client",
    "invalid_scope",
    "unsupported_grant_type",
  ];

  it("answers any form with a token or an OAuth error, never a 500", async () => {
    const { appId: id, secret, tenantId } = sim.app;
    const value = (...likely: string[]) => fc.oneof(fc.constantFrom(...likely), fc.string());
    const pair = (name: string, ...likely: string[]) =>
      fc.option(fc.tuple(fc.constant(name), value(...likely)), { nil: undefined });
    const formEncode = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);
    const form = fc
      .tuple(
        pair("grant_type", "client_credentials", "password"),
        pair("client_id", id, randomUUID()),
        pair("client_secret", secret),
        pair("scope", `${graphResource}/.default`, graphResource),
        fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 3 }),
      )
      .map(([grant, client, clientSecret, scope, others]) => {
        const named = [grant, client, clientSecret, scope].filter((field) => field !== undefined);
        return new URLSearchParams([...named, ...others]).toString();
      });
    const basic = fc.oneof(
      fc
        .tuple(value(id), value(secret))
        .map(([user, password]) => `${formEncode(user)}:${formEncode(password)}`)
        .map((credentials) => `Basic ${Buffer.from(credentials).toString("base64")}`),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => `Basic ${Buffer.from(bytes).toString("base64")}`),
      fc.stringMatching(/^[\x21-\x7e]{0,30}$/).map((text) => `Basic ${text}`),
    );
    const tenant = fc.oneof(
      fc.constantFrom(tenantId, randomUUID(), "common"),
      fc
        .string({ minLength: 1 })
        .filter((text) => text !== "." && text !== "..")
        .map(encodeURIComponent),
    );

    await fc.assert(
      fc.asyncProperty(
        tenant,
        fc.oneof(form, fc.string(), fc.string({ unit: "binary" })),
        fc.option(basic, { nil: undefined }),
        async (tenantSegment, body, authorization) => {
          const response = await fetch(`${sim.url}/${tenantSegment}/oauth2/v2.0/token`, {
            method: "POST",
            headers: {
              "Content-Type": "application/x-www-form-urlencoded",
              ...(authorization !== undefined && { Authorization: authorization }),
            },
            body,
          });
          const answer = (await response.json()) as Record<string, unknown>;
          expect([200, 400, 401]).toContain(response.status);
          if (response.status === 200) {
            expect(answer["token_type"]).toBe("Bearer");
            return;
          }
          expect(oauthErrors).toContain(answer["error"]);
          expect(answer["error_description"]).toMatch(/^AADSTS\d+: /);
        },
      ),
      { numRuns: 100 },
    );
  });
});
