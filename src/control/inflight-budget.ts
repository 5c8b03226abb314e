/**
 * Byte accounting for the memory bound: buffered + in-flight bytes never exceed `maxBytes`,
 * whatever the backlog. What a record is worth is the pipeline's to say (src/pipeline/
 * record-memory.ts: its raw bytes plus its decoded change's estimated heap size).
 *
 * Records are already in memory when the source hands them over, so the bound cannot be kept by
 * refusing them; it is kept by pausing early. Partitions are paused once usage reaches the pause
 * threshold, maxBytes − headroomBytes, where headroomBytes covers everything the source may still
 * deliver after pause() (at least one fetch response: fetch.max.bytes per broker the consumer
 * fetches from). They are resumed when usage falls to resumeFraction × maxBytes: the gap is the
 * hysteresis that keeps the consumer from flapping.
 *
 * The budget only counts and compares; the controller decides which partitions to pause.
 */
export interface InflightBudgetConfig {
  readonly maxBytes: number;
  readonly headroomBytes: number;
  readonly resumeFraction: number;
}

export interface InflightUsage {
  readonly usedBytes: number;
  readonly maxBytes: number;
  readonly pauseAtBytes: number;
  readonly resumeAtBytes: number;
  /** Highest usage seen since start. */
  readonly peakBytes: number;
}

export class InflightBudget {
  private used = 0;
  private peak = 0;
  private readonly byPartition = new Map<string, number>();
  readonly pauseAtBytes: number;
  readonly resumeAtBytes: number;

  constructor(readonly config: InflightBudgetConfig) {
    if (config.headroomBytes >= config.maxBytes) {
      throw new RangeError(
        `headroom (${config.headroomBytes} B) must be below the in-flight maximum (${config.maxBytes} B): raise SLUICE_MAX_INFLIGHT_BYTES or lower the fetch size`,
      );
    }
    this.pauseAtBytes = config.maxBytes - config.headroomBytes;
    this.resumeAtBytes = Math.min(this.pauseAtBytes, config.maxBytes * config.resumeFraction);
  }

  add(partition: string, bytes: number): void {
    this.used += bytes;
    this.peak = Math.max(this.peak, this.used);
    this.byPartition.set(partition, (this.byPartition.get(partition) ?? 0) + bytes);
  }

  /** Bytes leave the budget once durably written (or dropped because the partition was revoked). */
  remove(partition: string, bytes: number): void {
    const held = this.byPartition.get(partition) ?? 0;
    const released = Math.min(held, bytes);
    this.used -= released;
    if (held - released <= 0) this.byPartition.delete(partition);
    else this.byPartition.set(partition, held - released);
  }

  bytesOf(partition: string): number {
    return this.byPartition.get(partition) ?? 0;
  }

  get mustPause(): boolean {
    return this.used >= this.pauseAtBytes;
  }

  get mayResume(): boolean {
    return this.used <= this.resumeAtBytes;
  }

  usage(): InflightUsage {
    return {
      usedBytes: this.used,
      maxBytes: this.config.maxBytes,
      pauseAtBytes: this.pauseAtBytes,
      resumeAtBytes: this.resumeAtBytes,
      peakBytes: this.peak,
    };
  }
}
