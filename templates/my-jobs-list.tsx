/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The table of one address's jobs on the my-jobs page (JSX). */
import type { MyJobRow } from './views.js';
import { under } from '../src/config/urltop.js';

/** The jobs as a table, or a sentence saying there are none. */
export function MyJobsTable({ jobs, base }: { jobs: MyJobRow[]; base: string }) {
  if (!jobs.length) return <p id="none">There are no jobs for this address.</p>;
  return (
    <table id="jobs">
      <tr>
        <th>Job</th>
        <th>Type</th>
        <th>State</th>
        <th>Submitted</th>
      </tr>
      {jobs.map((j) => (
        <tr>
          <td>
            <a href={under(base, `/jobs/${j.id}`)}>{j.id}</a>
          </td>
          <td>{j.type}</td>
          <td>
            <span class={`state ${j.state}`}>{j.state}</span>
          </td>
          <td>{j.submitted}</td>
        </tr>
      ))}
    </table>
  );
}
