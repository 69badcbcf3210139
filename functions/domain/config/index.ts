export * from './model';
export * from './queries';
export * from './operations';
export * from './invariants';
