/** The live cluster view's page: nodes as columns, their tasks as cards coloured by state (the script is app.js). */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Shoal: cluster view</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg: #0f1720; --panel: #17212c; --text: #e6edf3; --muted: #8b98a5; --line: #263341; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--text); }
  header { display: flex; align-items: baseline; gap: 16px; padding: 12px 20px; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; margin: 0; }
  #status { color: var(--muted); }
  #live { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #5a2a2a; }
  #live.on { background: #1f5130; }
  #message { padding: 20px; color: var(--muted); }
  #nodes { display: flex; gap: 14px; padding: 16px 20px; align-items: flex-start; overflow-x: auto; }
  .node { flex: 0 0 230px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
  .node.down, .node.unknown, .node.disconnected { opacity: .55; }
  .node > .head { padding: 10px 12px; border-bottom: 1px solid var(--line); }
  .node .name { font-weight: 600; font-size: 15px; }
  .badges { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 6px; }
  .badge { font-size: 11px; padding: 1px 7px; border-radius: 9px; background: #263341; color: var(--muted); }
  .badge.manager { background: #2b3f66; color: #cfe0ff; }
  .badge.ready, .badge.active { background: #1f4130; color: #b9f0c8; }
  .badge.down, .badge.drain, .badge.pause, .badge.unknown, .badge.disconnected { background: #5a2a2a; color: #ffd0d0; }
  .tasks { padding: 8px; display: flex; flex-direction: column; gap: 6px; min-height: 40px; }
  .task { border-radius: 6px; padding: 6px 9px; color: #0b0f14; border-left: 5px solid rgba(0,0,0,.25); }
  .task .svc { font-weight: 600; }
  .task .meta { font-size: 11px; opacity: .8; }
  .task.running { background: #5fcf80; }
  .task.new, .task.pending, .task.allocated, .task.assigned, .task.accepted, .task.preparing, .task.ready, .task.starting { background: #f2c94c; }
  .task.failed, .task.rejected, .task.orphaned { background: #ff7b72; }
  .task.complete, .task.shutdown, .task.remove { background: #9aa5b1; }
</style>
</head>
<body data-renders="0">
<header><h1>Shoal</h1><span id="status">connecting…</span><span id="live">offline</span></header>
<div id="message" hidden></div>
<main id="nodes"></main>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
