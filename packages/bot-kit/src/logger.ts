// Where the bot says what goes wrong. The shape is pino's (and bunyan's, and most structured loggers'): an object of
// fields first, then the message, so an application passes its own logger as it is. Without one, warnings and
// errors go to the console's error stream: a misconfigured bot must never be silent.

/** A structured logger: pino, or anything with its `info`/`warn`/`error(fields, message)` methods. */
export interface Logger {
  /** Something worth knowing that needs no action. The default logger drops it. */
  info(fields: Readonly<Record<string, unknown>>, message: string): void;
  /** Something likely wrong that needs a look, such as a notification refused with a 4xx, or a self-check problem. */
  warn(fields: Readonly<Record<string, unknown>>, message: string): void;
  /** Something failed that is not the sender's doing, such as a refusal with a 5xx. */
  error(fields: Readonly<Record<string, unknown>>, message: string): void;
}

/**
 * The default logger: warnings and errors as one JSON line each on stderr (through `console.error`, which every
 * runtime has, workers included); `info` is dropped.
 */
export const stderrLogger: Logger = {
  info: () => {},
  warn: (fields, message) => writeLine("warn", fields, message),
  error: (fields, message) => writeLine("error", fields, message),
};

function writeLine(level: string, fields: Readonly<Record<string, unknown>>, message: string): void {
  const line = { level, time: new Date().toISOString(), name: "graph-invite/bot-kit", ...fields, msg: message };
  // biome-ignore lint/suspicious/noConsole: the default logger's whole job is to write to the console.
  console.error(JSON.stringify(line, errorFields));
}

/** An Error's name, message and stack, which JSON.stringify would otherwise write as `{}`. */
function errorFields(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}
