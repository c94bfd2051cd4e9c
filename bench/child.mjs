// A bench's child process, spoken to over IPC: each question is a message with a `type`, and its answer the first
// message back of the type asked for. Benches run what they measure in a child so that the load generator does not
// share its event loop.
import { fork } from "node:child_process";

/**
 * Forks `script` with `args` (and `execArgv`, such as --cpu-prof); `label` names it in errors. `ask(message, answer)`
 * sends a message and resolves with the reply of type `answer`, or rejects if the child exits first.
 */
export function forkChild(script, { args = [], execArgv = [], label = script } = {}) {
  const child = fork(script, args, { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const ask = (message, answer) =>
    new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`the ${label} exited (${code}) before it answered ${answer}`));
      const onMessage = (reply) => {
        if (reply.type !== answer) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(reply);
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
      child.send(message);
    });
  return {
    ask,
    async close() {
      child.send({ type: "close" });
      await exited;
    },
  };
}
