export { type Clock, createManualClock, type ManualClock, realClock, TICK_ETERNITY } from './clock.ts';
export { PollerError, type PollerErrorCode } from './errors.ts';
export {
  type ExitReason,
  type JobKind,
  type JobOptions,
  type LoopExit,
  type LoopState,
  type LoopStats,
  RunLoop,
  type RunLoopOptions,
} from './loop.ts';
export type { LagFigures } from './meter.ts';
export { Scheduler, type SchedulerOptions } from './scheduler.ts';
export { TASK_WOKEN, type Task, type TaskHandler } from './task.ts';
