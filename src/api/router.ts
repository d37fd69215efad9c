import type { Handler } from './context.js';

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE';
  /** `/services/{id}/update`; `{name*}` also takes slashes (image names). */
  pattern: string;
  handler: Handler;
}

interface CompiledRoute {
  method: string;
  regex: RegExp;
  handler: Handler;
}

/** Matches a request's method and (version-less) path to a route and its parameters. */
export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: Route[]) {
    this.routes = routes.map((r) => ({ method: r.method, regex: compile(r.pattern), handler: r.handler }));
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodeURIComponent(v);
      return { handler: r.handler, params };
    }
    return undefined;
  }
}

function compile(pattern: string): RegExp {
  const body = pattern
    .split('/')
    .map((seg) => {
      const greedy = /^\{(\w+)\*\}$/.exec(seg);
      if (greedy) return `(?<${greedy[1]}>.+)`;
      const param = /^\{(\w+)\}$/.exec(seg);
      if (param) return `(?<${param[1]}>[^/]+)`;
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${body}/?$`);
}
