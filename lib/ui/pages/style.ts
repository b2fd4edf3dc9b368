/** The UI's stylesheet: one small file, readable at laptop and tablet widths, impacts coloured and labelled. */
export const STYLESHEET = `
:root { --fg: #1d232a; --muted: #56606b; --bg: #ffffff; --panel: #f5f7f9; --line: #d5dbe1; --link: #0b57a4;
  --create: #1a7f37; --in-place: #0b57a4; --rolling: #8a5a00; --replace: #a4400b; --destroy: #b3261e; --blocked: #b3261e; --focus: #f2b705; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 10; }
header.top { display: flex; align-items: center; gap: 16px; padding: 8px 20px; border-bottom: 1px solid var(--line); background: var(--panel); flex-wrap: wrap; }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
header.top nav a { margin-right: 12px; }
.live { margin-left: auto; font-size: 13px; color: var(--muted); }
.live[data-state="live"]::before { content: "● "; color: var(--create); }
.live[data-state="offline"]::before { content: "● "; color: var(--destroy); }
main { padding: 16px 20px 40px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 24px; margin: 4px 0 4px; } h2 { font-size: 18px; margin: 24px 0 8px; } h3 { font-size: 15px; margin: 12px 0 6px; }
.muted { color: var(--muted); }
code, pre, textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 8px 10px; border-bottom: 1px solid var(--line); }
th { background: var(--panel); font-size: 13px; }
tbody th { background: none; font-size: 15px; }
td ul { margin: 0; padding-left: 16px; }
.file { font-weight: normal; font-size: 12px; color: var(--muted); margin-top: 2px; overflow-wrap: break-word; }
.sub { font-size: 13px; color: var(--muted); margin-top: 2px; }
ul.sub { list-style: none; padding-left: 0; }
td li .muted { white-space: nowrap; }
#fleet td.state > div + div { margin-top: 4px; }
#fleet .backend, #history-table code { overflow-wrap: anywhere; }
/* Tablets and phones: each cluster is a card, each cell labelled with its column's name. */
@media (max-width: 820px) {
  #fleet thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  #fleet, #fleet tbody, #fleet tr, #fleet th, #fleet td { display: block; width: 100%; }
  #fleet tr { border-bottom: 2px solid var(--line); padding: 6px 0; }
  #fleet th, #fleet td { border-bottom: none; padding: 4px 12px; }
  #fleet td[data-label] { display: grid; grid-template-columns: 8.5em minmax(0, 1fr); gap: 0 10px; }
  #fleet td[data-label]::before { content: attr(data-label); font-weight: 600; font-size: 13px; color: var(--muted); }
  #fleet td[data-label] > * { grid-column: 2; }
}
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.ok { color: var(--create); } .warn { color: var(--rolling); } .bad { color: var(--destroy); }
.impact-create { color: var(--create); } .impact-in-place { color: var(--in-place); } .impact-rolling-replace { color: var(--rolling); }
.impact-replace { color: var(--replace); } .impact-destroy { color: var(--destroy); } .impact-blocked { color: #fff; background: var(--blocked); border-color: var(--blocked); }
.banner { border: 1px solid var(--line); border-left: 5px solid var(--rolling); background: #fff8e6; padding: 8px 12px; margin: 8px 0; border-radius: 4px; }
.banner.error { border-left-color: var(--destroy); background: #fdecea; }
.banner.info { border-left-color: var(--in-place); background: #eaf2fb; }
.banner[hidden] { display: none; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
@media (max-width: 1000px) { .columns { grid-template-columns: minmax(0, 1fr); } }
.panel { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; background: #fff; }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 12px; padding: 8px 12px 12px; }
legend { font-weight: 600; padding: 0 4px; }
.fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px 14px; }
.field { display: flex; flex-direction: column; gap: 3px; }
.field.wide { grid-column: 1 / -1; }
.field label { font-size: 13px; font-weight: 600; }
.field .hint { font-size: 12px; color: var(--muted); }
.field input, .field textarea { padding: 6px 8px; border: 1px solid #8c96a0; border-radius: 4px; font-size: 14px; width: 100%; }
.field input[aria-invalid="true"], .field textarea[aria-invalid="true"] { border: 2px solid var(--destroy); background: #fff5f4; }
.field-error { color: var(--destroy); font-size: 13px; margin: 0; }
.field-error:empty { display: none; }
textarea.yaml { width: 100%; min-height: 420px; padding: 8px; border: 1px solid #8c96a0; border-radius: 4px; tab-size: 2; }
.actions { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 10px 0; }
button { font: inherit; padding: 7px 16px; border-radius: 4px; border: 1px solid #5f6b76; background: #fff; cursor: pointer; min-height: 36px; }
button.primary { background: var(--link); border-color: var(--link); color: #fff; font-weight: 600; }
button:disabled { opacity: 0.5; cursor: not-allowed; }
.component { margin: 0 0 12px; }
ul.changes { list-style: none; padding: 0; margin: 0; }
.field.narrow { max-width: 420px; }
.change { border-left: 4px solid var(--line); padding: 4px 10px; margin: 6px 0; }
.change.impact-blocked-row { border-left-color: var(--blocked); background: #fdecea; }
.change .path { font-family: ui-monospace, monospace; font-size: 13px; }
.change .values { font-family: ui-monospace, monospace; font-size: 13px; color: var(--muted); }
.listing { border: 1px solid var(--line); border-radius: 6px; overflow-x: auto; background: var(--panel); }
.listing ol { list-style: none; margin: 0; padding: 6px 0; counter-reset: line; }
.listing li { white-space: pre; font-family: ui-monospace, monospace; font-size: 13px; padding: 0 10px; }
.listing li .n { display: inline-block; width: 3.5em; color: var(--muted); user-select: none; }
.listing li.problem-line { background: #fdecea; }
.listing li.problem { white-space: normal; color: var(--destroy); font-family: inherit; padding-left: calc(3.5em + 10px); }
.problems li { margin: 2px 0; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
.kv dt { font-weight: 600; } .kv dd { margin: 0; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
