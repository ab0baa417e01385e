/** @jsxRuntime automatic @jsxImportSource jobdir */
/** The table of one address's jobs on the my-jobs page (JSX). */
import type { MyJobRow } from './views.js';
import { under } from '../src/config/urltop.js';
import { LocalTime } from './time.js';
import { stateWord } from './words.js';

/** The jobs as a table, or a sentence saying there are none. */
export function MyJobsTable({ jobs, base }: { jobs: MyJobRow[]; base: string }) {
  if (!jobs.length) return <p id="none">There are no jobs for this address.</p>;
  return (
    <table id="jobs">
      <tr>
        <th>Job</th>
        <th>State</th>
        <th>Submitted</th>
      </tr>
      {jobs.map((j) => (
        <tr>
          <td>
            <a href={under(base, `/jobs/${j.id}`)}>{j.id}</a>
            <div class="aside">{j.type}</div>
          </td>
          <td>
            <span class={`state ${stateWord(j.state)}`}>{stateWord(j.state)}</span>
          </td>
          <td>
            <LocalTime iso={j.submitted} />
          </td>
        </tr>
      ))}
    </table>
  );
}
