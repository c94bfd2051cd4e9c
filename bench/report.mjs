// How the benches print: lines on standard output (the figures are the benches' product, not log noise) and
// tables of them.

export const print = (line = "") => process.stdout.write(`${line}\n`);

/** Prints rows of cells as a table; the first row is the header, and every column but the first is right-aligned. */
export function printTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  const line = (row) =>
    row.map((cell, column) =>
      column === 0 ? String(cell).padEnd(widths[column]) : String(cell).padStart(widths[column]),
    );
  print(line(rows[0]).join("  "));
  print(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of rows.slice(1)) print(line(row).join("  "));
  print();
}
