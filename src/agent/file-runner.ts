// `kestrel run -e FILE` (Falco's -e: events from a capture instead of live): a source runner that
// reads a recorded file and hands its events to the agent as a live source would, so the rules,
// outputs and metrics are the configured ones. `done` settles when the file is read.
import type { SourceContext, SourceRunner } from '../sources/source-module.js';
import type { ReplayReader } from './replay-readers.js';

export interface FileReadSummary {
  events: number;
  skipped: number;
}

export class FileRunner implements SourceRunner {
  private stopping = false;
  private reading = false;
  private finished!: (s: FileReadSummary) => void;
  private failed!: (e: Error) => void;
  /** Settles once every event of the file was emitted (or reading failed or was stopped). */
  readonly done = new Promise<FileReadSummary>((resolve, reject) => {
    this.finished = resolve;
    this.failed = reject;
  });

  constructor(
    private readonly file: string,
    private readonly reader: ReplayReader,
  ) {}

  get name(): string {
    return this.reader.source;
  }

  async start(ctx: SourceContext<unknown>): Promise<void> {
    this.reading = true;
    const summary: FileReadSummary = { events: 0, skipped: 0 };
    void (async () => {
      try {
        const onBad = (b: { file: string; line: number; column?: number; message: string }) => {
          summary.skipped++;
          ctx.log.warn(`${b.file}:${b.line}${b.column ? `:${b.column}` : ''}: skipped: ${b.message}`);
        };
        for await (const event of this.reader.read(this.file, onBad)) {
          if (this.stopping) break;
          summary.events++;
          ctx.emit(event);
        }
        this.finished(summary);
      } catch (err) {
        this.failed(new Error(`cannot read ${this.file}: ${(err as Error).message}`));
      } finally {
        this.reading = false;
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.done.catch(() => undefined);
  }

  ready(): boolean {
    return this.reading;
  }
}
