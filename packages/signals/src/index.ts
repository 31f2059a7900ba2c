export { SignalsError, type SignalsErrorCode } from './errors.ts';
export { type SignalHandler, SignalQueue, type SignalQueueOptions } from './queue.ts';
export {
  createManualSignalSource,
  type ManualSignalSource,
  processSignalSource,
  type SignalListener,
  type SignalSource,
} from './source.ts';
export {
  registerStandardSignals,
  type SignalAction,
  STANDARD_SIGNALS,
  type StandardActions,
  type StandardSignal,
} from './table.ts';
