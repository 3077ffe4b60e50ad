/** Keeps only the last `maxChars` characters written to it, so a chatty process cannot grow memory. */
export class BoundedTail {
  private text = '';
  constructor(private readonly maxChars: number) {}

  /** Appends a chunk, dropping the oldest characters beyond the bound. */
  push(chunk: string | Buffer): void {
    this.text += chunk.toString();
    if (this.text.length > this.maxChars) this.text = this.text.slice(this.text.length - this.maxChars);
  }

  /** The retained tail. */
  toString(): string {
    return this.text;
  }
}
