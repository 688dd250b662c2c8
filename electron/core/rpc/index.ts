/** Public API of the rpc domain: the one dispatcher that IPC and the WebSocket both call. */
export {
  Dispatcher,
  formatZodIssues,
  OWNER_RELEASED,
  toErrorPayload,
  type CallContext,
  type Handlers,
} from './dispatcher';
export { latestProgress } from './progress';
