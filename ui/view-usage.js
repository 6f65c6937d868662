// view-usage.js: the tenant's usage per day and metric (docs/sites.md,
// "Usage metering"), for owners: a range of days, a small bar chart per
// metric drawn as inline SVG (no chart library), each with its total and
// a sentence for screen readers, and the same numbers as a table.

import {h, uid, errorBox, showError, scrollTable, stackOnPhone} from './dom.js';
import {get, tenantPath} from './api.js';

// Every metric the API counts (docs/sites.md "Usage metering"); storageBytes is a gauge: a day's bar is
// that day's reading (today's is now), and its headline is what is kept now, not a sum.
const METRICS = [
  {name: 'apiRequests', title: 'API requests'},
  {name: 'pageViews', title: 'Public page views'},
  {name: 'postsPublished', title: 'Posts published'},
  {name: 'domainChecks', title: 'Domain checks'},
  {name: 'releasesCreated', title: 'Releases created'},
  {name: 'buildsTriggered', title: 'Builds triggered'},
  {name: 'deploymentsStarted', title: 'Deployments started'},
  {name: 'deploymentMinutes', title: 'Deployment minutes'},
  {name: 'notificationsSent', title: 'Notifications sent'},
  {name: 'storageBytes', title: 'Storage kept (bytes)', gauge: true},
];
const TITLE = new Map(METRICS.map((m) => [m.name, m.title]));

const DAY = new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short', timeZone: 'UTC'});
const dayWords = (day) => DAY.format(new Date(`${day}T00:00:00Z`));
const isoDay = (d) => d.toISOString().slice(0, 10);

// Every day from..to (YYYY-MM-DD, UTC), both included.
function daysBetween(from, to) {
  const days = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`) && days.length < 3700; t += 86400000) {
    days.push(isoDay(new Date(t)));
  }
  return days;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

// One metric's bars: a day each, the highest count labelled; a sentence says what the picture shows.
function chart(metric, days, counts, total) {
  const W = 600;
  const H = 140;
  const top = 16;
  const base = H - 20;
  const max = Math.max(1, ...days.map((d) => counts.get(d) || 0));
  const step = W / days.length;
  const gap = step > 4 ? Math.min(2, step / 4) : 0;
  const peak = days.reduce((best, d) => ((counts.get(d) || 0) > (counts.get(best) || 0) ? d : best), days[0]);
  const captionId = uid('usage');
  const range = `${dayWords(days[0])} to ${dayWords(days[days.length - 1])}`;
  const summary = metric.gauge
    ? `${metric.title}: ${total} at the range's last reading; from ${range} the most was ${counts.get(peak) || 0}, on ${dayWords(peak)}.`
    : total
      ? `${metric.title}: ${total} from ${range}, the most on ${dayWords(peak)} (${counts.get(peak)}).`
      : `${metric.title}: none from ${range}.`;
  const bars = days.map((d, i) => {
    const n = counts.get(d) || 0;
    const hgt = n ? Math.max(2, ((base - top) * n) / max) : 0;
    return svg('rect', {x: (i * step + gap / 2).toFixed(2), y: (base - hgt).toFixed(2), width: Math.max(0.5, step - gap).toFixed(2),
      height: hgt.toFixed(2), class: 'bar'}, svg('title', null, `${dayWords(d)}: ${n}`));
  });
  const picture = svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': captionId, class: 'usage-chart', preserveAspectRatio: 'none'},
    svg('line', {x1: 0, y1: base, x2: W, y2: base, class: 'axis'}),
    svg('line', {x1: 0, y1: top, x2: W, y2: top, class: 'grid'}),
    ...bars);
  return h('figure', {class: 'panel usage', 'data-metric': metric.name},
    h('div', {class: 'usage-head'}, h('h2', null, metric.title),
      h('p', {class: 'big', 'data-total': 'true', title: metric.gauge ? 'kept now (the range\'s last reading)' : 'total in the range'}, String(total))),
    h('div', {class: 'usage-scale'}, h('span', {'aria-hidden': 'true'}, `max ${max}`)), picture,
    h('div', {class: 'usage-days', 'aria-hidden': 'true'}, h('span', null, dayWords(days[0])), h('span', null, dayWords(days[days.length - 1]))),
    h('figcaption', {id: captionId, class: 'sr-only'}, summary));
}

export async function viewUsage(ctx) {
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const today = new Date();
  const from = q.get('from') || isoDay(new Date(today.getTime() - 29 * 86400000));
  const to = q.get('to') || isoDay(today);
  const box = errorBox();
  let usage;
  try {
    usage = await get(`${tenantPath(ctx.tenant.id, '/usage')}?${new URLSearchParams({from, to})}`);
  } catch (e) {
    if (e.status !== 400) throw e;
    showError(box, e.message, e.details.map((d) => `${d.field}: ${d.message}`));
  }
  if (ctx.stale()) return;

  const fromIn = h('input', {type: 'date', id: 'usage-from', name: 'from', value: from, required: true});
  const toIn = h('input', {type: 'date', id: 'usage-to', name: 'to', value: to, required: true});
  const form = h('form', {class: 'filters', id: 'usage-range'},
    h('div', {class: 'field'}, h('label', {for: 'usage-from'}, 'From'), fromIn),
    h('div', {class: 'field'}, h('label', {for: 'usage-to'}, 'To'), toIn),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Show')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.navigate(`#/t/${ctx.tenant.id}/usage?${new URLSearchParams({from: fromIn.value, to: toIn.value})}`);
  });
  ctx.main.append(h('div', {class: 'page-head'}, h('div', null, h('h1', null, 'Usage'),
    h('p', {class: 'sub'}, 'What this tenant used per day (UTC). Counts reach this page within seconds.'))), form, box);
  if (!usage) return;

  const days = daysBetween(usage.from, usage.to);
  const by = new Map(METRICS.map((m) => [m.name, new Map()]));
  for (const it of usage.items) by.get(it.metric)?.set(it.day, it.count);
  ctx.main.append(h('div', {class: 'usage-grid'}, METRICS.map((m) => chart(m, days, by.get(m.name), usage.totals[m.name] || 0))));
  if (usage.limits.length) {
    ctx.main.append(h('section', {class: 'section', id: 'usage-limits', 'aria-labelledby': 'usage-limits-title'}, h('h2', {id: 'usage-limits-title'}, 'Limits'),
      stackOnPhone(scrollTable('Usage limits', h('thead', null, h('tr', null, ['Metric', 'Period', 'Used', 'Limit', 'Resets'].map((c) => h('th', {scope: 'col'}, c)))),
        h('tbody', null, usage.limits.map((l) => h('tr', {'data-limit': l.metric},
          h('th', {scope: 'row'}, TITLE.get(l.metric) || l.metric),
          h('td', null, l.resetsAt ? `per ${l.period}` : 'at any time'),
          h('td', {class: 'num'}, String(l.used)), h('td', {class: 'num'}, String(l.max)),
          h('td', null, l.resetsAt ? h('time', {datetime: l.resetsAt}, new Date(l.resetsAt).toLocaleString()) : 'never (deleting gives back)'))))))));
  }
  const used = days.filter((d) => METRICS.some((m) => by.get(m.name).get(d)));
  ctx.main.append(h('section', {class: 'section', id: 'usage-table', 'aria-labelledby': 'usage-table-title'}, h('h2', {id: 'usage-table-title'}, 'By day'),
    used.length
      ? stackOnPhone(scrollTable('Usage by day', h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Day'), METRICS.map((m) => h('th', {scope: 'col', class: 'num'}, m.title)))),
        h('tbody', null, used.reverse().map((d) => h('tr', null, h('th', {scope: 'row'}, h('time', {datetime: d}, dayWords(d))),
          METRICS.map((m) => h('td', {class: 'num'}, String(by.get(m.name).get(d) || 0))))))))
      : h('p', {class: 'muted'}, 'Nothing counted in these days.')));
}
