// The application's ESM entry point: `node dist/main.js` prints what happened as JSON.
import { main } from "./node.js";

const report = await main();
process.stdout.write(`${JSON.stringify({ ...report, loadedBy: "import" })}\n`);
