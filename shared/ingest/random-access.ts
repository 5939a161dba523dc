/**
 * An object read by byte ranges rather than from start to end: Parquet keeps its schema and row
 * group index in a footer, so a reader must seek. An S3 object (ranged GET) or a local file
 * (positioned read) both fit.
 */
export interface RandomAccessObject {
  /** S3 URI or file path, for origins and error reports. */
  uri: string;
  /** Size of the object in bytes. */
  size: number;
  /** Bytes `[start, end)`; throws {@link ReaderError} when the object cannot be read. */
  read(start: number, end: number): Promise<Uint8Array>;
}
