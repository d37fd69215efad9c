import type { TraceAnswer } from '../../mesh/dataplane/index.js';
import { errorMessage } from '../../util/errors.js';
import { taskName } from '../endpoints/derive.js';
import type { Store } from '../store/types.js';
import { planTrace, type TraceHop, type TraceRequest } from './plan-trace.js';

/** One host's part of a trace: the entry point, the rule there, and the backend the next connection takes. */
export interface TraceReportHop extends Omit<TraceHop, 'target'> {
  rule?: string;
  backend?: { address: string; taskId: string; task: string; host: string };
  why?: string;
  /** The host could not be asked, or does not serve the entry. */
  error?: string;
}

export interface TraceReport {
  client: string;
  service: string;
  hops: TraceReportHop[];
}

/** Plans the trace from the store, asks each host's data plane (`ask`), and names the backends' tasks and hosts. */
export async function traceConnection(store: Store, req: TraceRequest, ask: (hop: TraceHop) => Promise<TraceAnswer | undefined>): Promise<TraceReport> {
  const plan = store.view((tx) => planTrace(tx, req));
  const hops = await Promise.all(
    plan.hops.map(async ({ target, ...hop }): Promise<TraceReportHop> => {
      let answer: TraceAnswer | undefined;
      try {
        answer = await ask({ ...hop, target });
      } catch (err) {
        return { ...hop, error: `could not ask ${hop.hostname}: ${errorMessage(err)}` };
      }
      if (!answer?.rule) return { ...hop, error: `${hop.hostname} does not serve this entry point (yet): its endpoint table may lag` };
      const backend = answer.backend && store.view((tx) => {
        const t = tx.get('tasks', answer.backend!.taskId);
        const node = t?.NodeID ? tx.get('nodes', t.NodeID) : undefined;
        return { ...answer.backend!, task: t ? taskName(plan.service.name, t) : '', host: node?.Description.Hostname ?? '' };
      });
      return { ...hop, rule: answer.rule, why: answer.why, ...(backend ? { backend } : {}) };
    }),
  );
  return { client: plan.client, service: plan.service.name, hops };
}
