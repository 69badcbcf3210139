/** The SQS emulator (fauxqs), run in-process. fauxqs is ESM-only, hence the dynamic import. */
export interface RunningSqsEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startSqsEmulator(port = 0): Promise<RunningSqsEmulator> {
  const { startFauxqs } = await import('fauxqs');
  // Loopback only: nothing on the network reaches the local queues and files.
  const server = await startFauxqs({ port, host: '127.0.0.1', logger: false });
  return { endpoint: server.address, stop: () => server.stop() };
}
