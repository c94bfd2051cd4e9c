// The one client of a running bot's control API (control.ts): the CLI's commands and the scale-out proof and bench
// use it. Over node:http rather than fetch, because an invite may be waited for longer than fetch waits for headers.
import { request as httpRequest } from "node:http";
import type { OperationRecord, Roster } from "@graph-invite/bot-kit";
import type { CallCommand, ControlStats, InviteCommand, RosterEventEntry } from "./control.js";

export type { CallCommand, ControlStats, InviteCommand, RosterEventEntry } from "./control.js";

/**
 * No answer from the control API: the connection was refused or broke, it did not answer in time, or what answered
 * is not a graph-invite-bot.
 */
export class ControlUnreachable extends Error {
  constructor(
    message: string,
    /** Nothing reached the instance: the connection was refused. */
    readonly refused: boolean,
  ) {
    super(message);
    this.name = "ControlUnreachable";
  }
}

/** The control API answered with an error status; the message is the bot's own. */
export class ControlFailed extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ControlFailed";
  }
}

/** What `POST /invite` answers: the outcome, and the roster unless the command said `settle: false`. */
export interface InviteAnswer {
  readonly outcome: OperationRecord;
  readonly roster?: Roster;
}

/** What `GET /events/roster` answers. */
export interface RosterEvents {
  /** When the instance's listeners started (ISO 8601): an event from before cannot be in its log. */
  readonly since: string;
  readonly events: RosterEventEntry[];
  /** How many older events were dropped to keep the latest 10 000. */
  readonly dropped: number;
}

/** How a {@link ControlClient} waits. */
export interface ControlClientOptions {
  /**
   * How long a request may take when its call gives no `timeoutMs`; past it, it rejects with
   * {@link ControlUnreachable}. Default: as long as the bot takes (the CLI waits for an invite's own deadline).
   */
  readonly timeoutMs?: number;
}

/** A running bot's control API at `url` (`http://127.0.0.1:<controlPort>`). */
export class ControlClient {
  constructor(
    readonly url: string,
    private readonly options: ControlClientOptions = {},
  ) {}

  /** `GET path`, answered with the bot's JSON. */
  get<T>(path: string, timeoutMs?: number): Promise<T> {
    return this.request<T>("GET", path, undefined, timeoutMs);
  }

  /** `POST path` with `body` as JSON, answered with the bot's JSON. */
  post<T>(path: string, body: unknown, timeoutMs?: number): Promise<T> {
    return this.request<T>("POST", path, JSON.stringify(body), timeoutMs);
  }

  /** Invites and waits for the outcome (`POST /invite`). */
  invite(command: InviteCommand, timeoutMs?: number): Promise<InviteAnswer> {
    return this.post("/invite", command, timeoutMs);
  }

  /** Waits for the outcome of an invite started earlier, here or by an instance that ended. */
  outcome(clientContext: string, timeoutMs?: number): Promise<{ outcome: OperationRecord }> {
    return this.get(`/operations/${encodeURIComponent(clientContext)}/outcome`, timeoutMs);
  }

  /** Creates a call in the simulator whose callback is the bot (simulator modes only). */
  createCall(command: CallCommand): Promise<unknown> {
    return this.post("/calls", command);
  }

  /** Who is in the call, as the bot's store holds it. */
  roster(callId: string): Promise<Roster> {
    return this.get(`/calls/${encodeURIComponent(callId)}/roster`);
  }

  /** The invites the store holds and how each ended, for one call or all. */
  operations(callId?: string): Promise<OperationRecord[]> {
    return this.get(`/operations${callId === undefined ? "" : `?callId=${encodeURIComponent(callId)}`}`);
  }

  /** The roster events this instance's listeners received. */
  rosterEvents(): Promise<RosterEvents> {
    return this.get("/events/roster");
  }

  /** The instance's counters: CPU time, deliveries, refusals, Redis commands. */
  stats(): Promise<ControlStats> {
    return this.get("/stats");
  }

  private request<T>(method: string, path: string, body?: string, timeoutMs = this.options.timeoutMs): Promise<T> {
    const url = `${this.url}${path}`;
    return new Promise((resolve, reject) => {
      const request = httpRequest(url, { method, headers: { "Content-Type": "application/json" } }, (response) => {
        let text = "";
        let complete = false;
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => {
          complete = true;
          clearTimeout(timer);
          let answer: { error?: unknown } | undefined;
          try {
            answer = JSON.parse(text) as { error?: unknown };
          } catch {
            reject(
              new ControlUnreachable(
                `${url} answered HTTP ${response.statusCode} with something that is not graph-invite-bot's`,
                false,
              ),
            );
            return;
          }
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(answer as T);
          else {
            const message = typeof answer?.error === "string" ? answer.error : `the bot answered HTTP ${status}`;
            reject(new ControlFailed(status, message));
          }
        });
        response.on("error", (error) => {
          clearTimeout(timer);
          reject(new ControlUnreachable(`${url}: the answer broke off: ${error.message}`, false));
        });
        response.on("close", () => {
          clearTimeout(timer);
          if (!complete) reject(new ControlUnreachable(`${url}: the answer broke off`, false));
        });
      });
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(
              () => request.destroy(new ControlUnreachable(`${url} did not answer within ${timeoutMs} ms`, false)),
              Math.max(1, timeoutMs),
            );
      request.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (error instanceof ControlUnreachable) reject(error);
        else if (error.code === "ECONNREFUSED") {
          reject(
            new ControlUnreachable(`no bot is running at ${this.url}: start one with "graph-invite-bot serve"`, true),
          );
        } else reject(new ControlUnreachable(`the bot at ${this.url} could not be reached: ${error.message}`, false));
      });
      request.end(body);
    });
  }
}
