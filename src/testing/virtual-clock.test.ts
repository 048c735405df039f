import { expect, it } from "vitest";
import { VirtualClock } from "./virtual-clock.js";

it("starts at 2030-01-01 unless told, and moves only when advanced", async () => {
  expect(new VirtualClock().now()).toBe(Date.UTC(2030, 0, 1));
  const clock = new VirtualClock(new Date(1_000));
  expect(clock.now()).toBe(1_000);
  await clock.advance("1s");
  expect(clock.now()).toBe(2_000);
});

it("fires due timers in time order (ties in the order set), each at its own time, and no later one", async () => {
  const clock = new VirtualClock(0);
  const fired: string[] = [];
  clock.setTimer(300, () => fired.push(`c@${clock.now()}`));
  clock.setTimer(100, () => fired.push(`a@${clock.now()}`));
  clock.setTimer(100, () => fired.push(`b@${clock.now()}`));
  clock.setTimer(5_000, () => fired.push("late"));
  await clock.advance(1_000);
  expect(fired).toEqual(["a@100", "b@100", "c@300"]);
  expect(clock.now()).toBe(1_000);
});

it("drops a cancelled timer, and fires a timer set by a timer when it falls within the advance", async () => {
  const clock = new VirtualClock(0);
  const fired: number[] = [];
  const cancel = clock.setTimer(10, () => fired.push(-1));
  cancel();
  clock.setTimer(10, () => clock.setTimer(20, () => fired.push(clock.now())));
  await clock.advance(50);
  expect(fired).toEqual([20]);
});

it("waits for the engine to settle before, between and after timers", async () => {
  const clock = new VirtualClock(0);
  const log: string[] = [];
  clock.afterAdvance = async () => {
    log.push(`settle@${clock.now()}`);
  };
  clock.setTimer(5, () => log.push("timer"));
  await clock.advance(10);
  expect(log).toEqual(["settle@0", "timer", "settle@5", "settle@10"]);
});
