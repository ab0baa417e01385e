/**
 * The client's hand-written types (src/client) against the API's schemas, the objects the
 * OpenAPI document is built from. The type checks below fail `tsc` (run by `npm test`) when
 * the two drift; the test at the end ties those objects to the served document.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as client from '../src/client/index.js';
import type { FromSchema } from '../src/web/api/schema.js';
import {
  JobCreated,
  JobList,
  JobStatus,
  JobTypeInfo,
  ServiceInfo,
} from '../src/web/api/schemas.js';
import { startTestServer, type TestServer } from './server.js';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Holds<T extends true> = T;

export type Checks = [
  Holds<Equal<client.JobStatus, FromSchema<typeof JobStatus>>>,
  Holds<Equal<client.JobCreated, FromSchema<typeof JobCreated>>>,
  Holds<Equal<client.ServiceInfo, FromSchema<typeof ServiceInfo>>>,
  Holds<Equal<client.ParameterInfo, FromSchema<typeof JobTypeInfo>['parameters'][number]>>,
  Holds<Equal<Awaited<ReturnType<client.Client['myJobs']>>, FromSchema<typeof JobList>>>,
  Holds<Equal<client.JobState, FromSchema<typeof JobStatus>['state']>>,
];

describe("the client's types are the API document's", () => {
  let svc: TestServer;
  before(async () => {
    svc = await startTestServer({}, { webOnly: true });
  });
  after(() => svc.close());

  test('the served document describes each answer with the schema the client types are checked against', async () => {
    type Doc = {
      paths: Record<
        string,
        Record<
          string,
          {
            responses: Record<
              string,
              { content?: Record<string, { schema: { required?: string[]; properties?: object } }> }
            >;
          }
        >
      >;
    };
    const doc = (await (await fetch(`${svc.url}/api/openapi.json`)).json()) as Doc;
    const answer = (path: string, method: string, status: string) =>
      doc.paths[path]![method]!.responses[status]!.content!['application/json']!.schema;
    for (const [schema, [path, method, status]] of [
      [JobStatus, ['/api/jobs/{id}', 'get', '200']],
      [JobCreated, ['/api/jobs', 'post', '201']],
      [ServiceInfo, ['/api/parameters', 'get', '200']],
      [JobList, ['/api/jobs', 'get', '200']],
      [JobTypeInfo, ['/api/parameters/{type}', 'get', '200']],
    ] as const) {
      const served = answer(path, method, status);
      assert.deepEqual(served.required, [...schema.required], path);
      assert.deepEqual(Object.keys(served.properties ?? {}), Object.keys(schema.properties), path);
    }
  });
});
