// The console's live feed: every change of the simulated world as server-sent events, gathered once per turn of the
// event loop, to every open console.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Courier, Delivery } from "../delivery.js";
import type { SimulatedGraph } from "../graph.js";
import { graphError, sendJson } from "../http.js";
import type { ReceivedRequest } from "../server-parts.js";
import type { InviteView } from "./feed-types.js";
import {
  callView,
  type DeliveryReading,
  deliveryView,
  inviteView,
  operationView,
  readDelivery,
  requestView,
} from "./views.js";

/** More open feeds than a person has tabs means something is looping; each one holds a socket. */
const maxFeeds = 32;
/** How often an idle feed sends a comment. */
const heartbeatMs = 15_000;
/** A feed whose reader stops reading is dropped rather than buffered without end. */
const maxBufferedBytes = 8 * 1024 * 1024;

/** What the feed shows: the simulated world, its deliveries and the requests Graph's routes answered. */
export interface FeedSources {
  readonly origin: () => string;
  readonly graph: SimulatedGraph;
  readonly courier: Courier;
  readonly notificationIssuer: string;
  readonly requests: readonly ReceivedRequest[];
}

export class LiveFeed {
  private readonly feeds = new Set<ServerResponse>();
  private readonly deliverySeq = new WeakMap<Delivery, number>();
  private readonly readings = new WeakMap<Delivery, DeliveryReading>();
  private readonly invites: InviteView[] = [];
  private requestCount = 0;

  // Changes are gathered and sent once per turn of the event loop: a burst of attempts becomes one message per thing.
  private readonly dirtyDeliveries = new Set<Delivery>();
  private readonly newRequests: Array<{ seq: number; record: ReceivedRequest }> = [];
  private readonly newInvites: InviteView[] = [];
  private worldChanged = false;
  private scheduled = false;
  private readonly sentWorld = new Map<string, string>();

  constructor(private readonly sources: FeedSources) {
    const { courier, graph } = sources;
    courier.onChange = (delivery) => {
      // Numbered when first seen, while it is still the log's last entry.
      if (!this.deliverySeq.has(delivery)) this.deliverySeq.set(delivery, courier.log.length - 1);
      this.dirtyDeliveries.add(delivery);
      // A delivery's outcome often follows a change of the world; both go in one message batch.
      this.changed();
    };
    graph.changed = () => this.changed();
  }

  /** The delivery's number in the courier's log, as the console and the resend route name it. */
  seqOf(delivery: Delivery): number {
    let seq = this.deliverySeq.get(delivery);
    if (seq === undefined) {
      seq = this.sources.courier.log.indexOf(delivery);
      this.deliverySeq.set(delivery, seq);
    }
    return seq;
  }

  /** Told of each request Graph's routes answered, with the answer, for the invite timelines and the request log. */
  recorded(record: ReceivedRequest, reply: { status: number; body: unknown; headers?: Record<string, string> }): void {
    const seq = this.requestCount++;
    this.newRequests.push({ seq, record });
    const invite = inviteView(seq, record, reply, this.sources.graph);
    if (invite !== undefined) {
      this.invites.push(invite);
      this.newInvites.push(invite);
    }
    this.changed();
  }

  /** Opens a feed: the whole state in a `reset` event, then each change as its own event. */
  open(request: IncomingMessage, response: ServerResponse): void {
    if (this.feeds.size >= maxFeeds) {
      sendJson(response, 503, graphError("ServiceUnavailable", `At most ${maxFeeds} consoles can be open at once.`));
      return;
    }
    response.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
    // What was sent before this feed opened; later changes follow as single events.
    this.flush();
    const { calls, operations, scenario } = this.world();
    // Every feed now has the same view of the world; what changes next goes to all of them.
    for (const call of calls) this.differs(`call:${call.id}`, call);
    for (const operation of operations) this.differs(`operation:${operation.id}`, operation);
    this.differs("scenario", scenario);
    const snapshot = {
      url: this.sources.origin(),
      app: { issuer: this.sources.notificationIssuer },
      calls,
      operations,
      scenario,
      invites: this.invites,
      deliveries: this.sources.courier.log.map((delivery) => this.viewOf(delivery)),
      requests: this.sources.requests.map((record, index) => requestView(index, record)),
    };
    response.write(`retry: 1000\nevent: reset\ndata: ${JSON.stringify(snapshot)}\n\n`);
    this.feeds.add(response);
    // A comment now and then, so that a console whose connection died unnoticed is found and dropped.
    const heartbeat = setInterval(() => response.write(": keep-alive\n\n"), heartbeatMs);
    heartbeat.unref();
    const close = () => {
      clearInterval(heartbeat);
      this.feeds.delete(response);
    };
    request.on("close", close);
    response.on("error", close);
  }

  private viewOf(delivery: Delivery) {
    let reading = this.readings.get(delivery);
    if (reading === undefined) {
      reading = readDelivery(delivery);
      this.readings.set(delivery, reading);
    }
    return deliveryView(this.seqOf(delivery), delivery, reading);
  }

  private world() {
    const { graph } = this.sources;
    return {
      calls: graph.calls.all().map(callView),
      operations: [...graph.operations.values()].map((operation) => operationView(operation, graph)),
      scenario: graph.scenario,
    };
  }

  private broadcast(event: string, data: unknown): void {
    if (this.feeds.size === 0) return;
    const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const feed of this.feeds) {
      if (feed.writableLength > maxBufferedBytes) {
        feed.destroy();
        this.feeds.delete(feed);
      } else {
        feed.write(message);
      }
    }
  }

  /** Only what differs from what was last sent: a roster change sends its call, not every call. */
  private differs(key: string, value: unknown): boolean {
    const text = JSON.stringify(value);
    if (this.sentWorld.get(key) === text) return false;
    this.sentWorld.set(key, text);
    return true;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.feeds.size === 0) {
      // Nobody is watching: a console that opens gets the whole state in its reset event.
      this.worldChanged = false;
      this.dirtyDeliveries.clear();
      this.newInvites.length = 0;
      this.newRequests.length = 0;
      return;
    }
    if (this.worldChanged) {
      this.worldChanged = false;
      const { calls, operations, scenario } = this.world();
      for (const call of calls) if (this.differs(`call:${call.id}`, call)) this.broadcast("call", call);
      for (const operation of operations) {
        if (this.differs(`operation:${operation.id}`, operation)) this.broadcast("operation", operation);
      }
      if (this.differs("scenario", scenario)) this.broadcast("scenario", scenario);
    }
    for (const invite of this.newInvites.splice(0)) this.broadcast("invite", invite);
    for (const { seq, record } of this.newRequests.splice(0)) this.broadcast("request", requestView(seq, record));
    for (const delivery of this.dirtyDeliveries) this.broadcast("delivery", this.viewOf(delivery));
    this.dirtyDeliveries.clear();
  }

  /** The world changed: sent with whatever else changes in this turn of the event loop. */
  private changed(): void {
    this.worldChanged = true;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
}
