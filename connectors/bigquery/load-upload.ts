/**
 * Starts a load job by a multipart upload (jobs.insert on the upload endpoint): the job
 * configuration and the newline-delimited JSON file in one request. The SDK's own path
 * (table.createWriteStream / table.load) cannot be used: through a custom apiEndpoint without
 * credentials (the emulator) its multipart request crashes in teeny-request ("Cannot set
 * properties of undefined (setting 'Content-Type')"), so this module builds the request itself
 * and authenticates it with the client's GoogleAuth when credentials are in use.
 */
import { randomUUID } from 'node:crypto';
import type { BigQuery, Job, TableField } from '@google-cloud/bigquery';
import type { TableRef } from './statements.ts';

export interface LoadRequest {
  readonly destination: TableRef;
  readonly fields: readonly TableField[] | null;
  readonly ndjson: string;
  readonly location: string | null;
  /** Send the client's credentials (false for an emulator endpoint). */
  readonly authenticate: boolean;
}

/** An HTTP error answer of the upload, shaped like the SDK's ApiError so errors.ts reads it the same way. */
export class UploadError extends Error {
  override readonly name = 'ApiError';
  readonly code: number;
  readonly errors: readonly { reason?: string; message?: string }[];
  readonly response: { readonly statusCode: number; readonly headers: Record<string, string> };

  constructor(status: number, body: string, headers: Record<string, string>) {
    let parsed: { error?: { message?: string; errors?: { reason?: string; message?: string }[] } } = {};
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      // Not JSON (a proxy's page): the status is all we know.
    }
    super(parsed.error?.message ?? `load upload failed with HTTP ${status}`);
    this.code = status;
    this.errors = parsed.error?.errors ?? [];
    this.response = { statusCode: status, headers };
  }
}

export async function startLoadJob(client: BigQuery, request: LoadRequest): Promise<Job> {
  const jobId = `sluice_load_${randomUUID().replaceAll('-', '')}`;
  const { destination } = request;
  const metadata = {
    jobReference: { projectId: destination.project, jobId, ...(request.location === null ? {} : { location: request.location }) },
    configuration: {
      load: {
        destinationTable: { projectId: destination.project, datasetId: destination.dataset, tableId: destination.table },
        sourceFormat: 'NEWLINE_DELIMITED_JSON',
        writeDisposition: 'WRITE_APPEND',
        createDisposition: 'CREATE_NEVER',
        ...(request.fields === null ? {} : { schema: { fields: request.fields } }),
      },
    },
  };
  const boundary = `sluice${randomUUID().replaceAll('-', '')}`;
  const body = [
    `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(metadata)}\r\n`,
    `--${boundary}\r\nContent-Type: application/octet-stream\r\n\r\n${request.ndjson}\r\n`,
    `--${boundary}--\r\n`,
  ].join('');
  const url = `${client.apiEndpoint}/upload/bigquery/v2/projects/${encodeURIComponent(destination.project)}/jobs?uploadType=multipart`;
  const headers = new Headers({ 'content-type': `multipart/related; boundary=${boundary}` });
  if (request.authenticate) {
    const auth = await client.authClient.getRequestHeaders(url);
    for (const [name, value] of auth) headers.set(name, value);
  }
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  if (!response.ok) throw new UploadError(response.status, text, Object.fromEntries(response.headers.entries()));
  const job = JSON.parse(text) as { jobReference?: { jobId?: string; location?: string } };
  return client.job(job.jobReference?.jobId ?? jobId, job.jobReference?.location === undefined ? {} : { location: job.jobReference.location });
}
