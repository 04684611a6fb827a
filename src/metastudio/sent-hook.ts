/**
 * Tells a caller the moment undici starts writing its request (onRequestStart: it has a
 * connection and the request line goes next). The upstream budget measures how late a
 * call went out for its slot there, not when the call was handed to the pool, which can
 * be long before on a congested event loop or a new connection.
 */
import type { Dispatcher } from 'undici';

export interface SentHookOptions {
  onSent?: (() => void) | undefined;
}

export const sentHook: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const { onSent } = opts as SentHookOptions;
  if (!onSent) return dispatch(opts, handler);
  // Interceptors get handlers in undici's newer API (WrapHandler); every method is passed on.
  return dispatch(opts, {
    onRequestStart(controller, context) {
      onSent();
      handler.onRequestStart?.(controller, context);
    },
    onRequestUpgrade: (controller, statusCode, headers, socket) => handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
    onResponseStart: (controller, statusCode, headers, statusMessage) => handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
    onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
    onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
    onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
  });
};
