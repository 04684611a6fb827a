/**
 * Streams a multipart/form-data body with form-data-encoder. The file is a stream of
 * unknown length, so the body goes out chunked and is never held whole.
 */
import { FormDataEncoder } from 'form-data-encoder';

export interface StreamedFile {
  name: string;
  type: string;
  stream: AsyncIterable<Uint8Array>;
}

/** A File-like that form-data-encoder accepts; unlike Blob it can wrap a stream of unknown size. */
class StreamFile {
  readonly size = undefined;
  readonly lastModified = Date.now();
  constructor(
    readonly name: string,
    readonly type: string,
    private readonly source: AsyncIterable<Uint8Array>,
  ) {}
  stream(): AsyncIterable<Uint8Array> {
    return this.source;
  }
  get [Symbol.toStringTag](): string {
    return 'File';
  }
}

/** The minimal FormData-like surface form-data-encoder reads, keeping insertion order. */
class OrderedFormData {
  private readonly entriesList: Array<[string, string | StreamFile]> = [];
  append(name: string, value: string | StreamFile): void {
    this.entriesList.push([name, value]);
  }
  getAll(name: string): Array<string | StreamFile> {
    return this.entriesList.filter(([n]) => n === name).map(([, v]) => v);
  }
  entries(): IterableIterator<[string, string | StreamFile]> {
    return this.entriesList[Symbol.iterator]();
  }
  [Symbol.iterator](): IterableIterator<[string, string | StreamFile]> {
    return this.entries();
  }
  get [Symbol.toStringTag](): string {
    return 'FormData';
  }
}

export interface MultipartBody {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/** Text fields first, then the file, in the order the NODE SDK appends them. */
export function encodeMultipart(fields: Array<[string, string]>, fileField: string, file: StreamedFile): MultipartBody {
  const form = new OrderedFormData();
  for (const [name, value] of fields) form.append(name, value);
  form.append(fileField, new StreamFile(file.name, file.type, file.stream));
  const encoder = new FormDataEncoder(form as never);
  return { contentType: encoder.contentType, body: encoder.encode() };
}
