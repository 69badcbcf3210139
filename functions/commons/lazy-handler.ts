/**
 * Builds a handler's production dependencies on its first invocation rather than at import,
 * so tests (and the local server) can import a handler module's factory without its
 * environment being set.
 */
export function lazyHandler<Event, Result>(
  build: () => (event: Event, context: never) => Promise<Result>,
): (event: Event, context: never) => Promise<Result> {
  let built: ((event: Event, context: never) => Promise<Result>) | undefined;
  return (event, context) => {
    built ??= build();
    return built(event, context);
  };
}
