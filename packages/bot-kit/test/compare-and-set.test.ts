// The compare-and-set loop every record write goes through: redone while another writer got there first, with a
// fresh read from the second attempt on, and given up, loudly, after maxConflicts losses in a row.
import { describe, expect, test } from "vitest";
import { compareAndSet, lostRace, maxConflicts } from "../src/compare-and-set.js";

/** An attempt that loses `losses` times, then returns "written"; it records the `first` flag of every call. */
function losing(losses: number) {
  const firsts: boolean[] = [];
  const attempt = async (first: boolean) => {
    firsts.push(first);
    // A loop that never gives up would call forever: fail instead of hanging.
    if (firsts.length > maxConflicts + 5) throw new Error("called past the limit");
    return firsts.length > losses ? "written" : lostRace;
  };
  return { attempt, firsts };
}

describe("compareAndSet", () => {
  test("returns the first attempt's result when it wins, reading nothing again", async () => {
    const { attempt, firsts } = losing(0);
    await expect(compareAndSet("roster of call c", attempt)).resolves.toBe("written");
    expect(firsts).toEqual([true]);
  });

  test("redoes a lost write, telling every later attempt to read again", async () => {
    const { attempt, firsts } = losing(2);
    await expect(compareAndSet("roster of call c", attempt)).resolves.toBe("written");
    expect(firsts).toEqual([true, false, false]);
  });

  test("a write that wins on the last allowed attempt is kept", async () => {
    const { attempt, firsts } = losing(maxConflicts - 1);
    await expect(compareAndSet("roster of call c", attempt)).resolves.toBe("written");
    expect(firsts).toHaveLength(maxConflicts);
  });

  test(`gives up after ${maxConflicts} losses in a row, naming the record`, async () => {
    const { attempt, firsts } = losing(Number.POSITIVE_INFINITY);
    await expect(compareAndSet("roster of call c", attempt)).rejects.toThrow(
      new Error(`roster of call c: ${maxConflicts} writes in a row lost to other writers; gave up`),
    );
    expect(firsts).toHaveLength(maxConflicts);
  });

  test("a result that is not lostRace, falsy ones included, ends the loop", async () => {
    for (const result of [undefined, null, false, 0, ""]) {
      let calls = 0;
      const attempt = async () => {
        calls++;
        return result;
      };
      await expect(compareAndSet("invite x", attempt)).resolves.toBe(result);
      expect(calls).toBe(1);
    }
  });
});
