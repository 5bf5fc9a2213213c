// A CSV upload with progress: POST /v1/contacts/import takes a text/csv body
// and imports the rows as it reads them (streamed, answered at the end). The
// bytes sent are only the upload's progress (a large file is still being
// imported once the browser has sent it): the import's own progress is its job
// (GET /v1/contacts/imports/{id}, contacts_logic.js importProgress). fetch()
// cannot report an upload's progress; XMLHttpRequest can. Errors become
// ApiError like api.js's.
import { problemToError } from './api.js';

/**
 * @param {string} path e.g. "/v1/contacts/import?default_region=GB"
 * @param {File|Blob} file
 * @param {{csrf?: string|null, onProgress?: (loaded:number, total:number) => void}} opts
 * @returns {Promise<any>} the parsed JSON answer
 */
export function uploadCsv(path, file, opts = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.setRequestHeader('Accept', 'application/json');
    if (opts.csrf) xhr.setRequestHeader('X-CSRF-Token', opts.csrf);
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () =>
      reject(problemToError(0, { detail: 'The server did not answer. Check that smsgate is running.' }));
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(problemToError(xhr.status, body, xhr.getResponseHeader('Retry-After')));
    };
    xhr.send(file);
  });
}
