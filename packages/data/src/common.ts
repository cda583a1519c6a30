/** Raised for a missing, truncated or corrupt dataset file; the message names the file. */
export class DatasetError extends Error {
  constructor(message: string, readonly file?: string) {
    super(message);
    this.name = 'DatasetError';
  }
}
