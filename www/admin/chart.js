// The hourly chart, drawn by uPlot (vendor/uplot.js, copied from npm at build time; why
// uPlot: docs/admin.md). uPlot draws on a canvas and sets sizes through the CSSOM — no
// `<style>` element, no `style` attribute — so it runs under the page's CSP
// (`style-src 'self'`). Its colours are read from the page's CSS custom properties
// (admin.css), so light and dark come from one place; the chart is rebuilt when the theme
// changes and resized with its box. Times are UTC, as the API counts hours.
import uPlot from './vendor/uplot.js';

const utc = (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');

/** A CSS custom property of the page, resolved. */
const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * Draws `series` (stats.js `hourly`) into `target`, replacing what was there; returns a
 * function that removes the chart and its resize observer.
 */
export function hourlyChart(target, series) {
  const text = cssVar('--text');
  const grid = cssVar('--grid');
  const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '12px system-ui, sans-serif' };
  // Points on each hour up to a week (a lone busy hour is then visible); lines alone beyond.
  const points = { show: series.x.length <= 168, size: 5, width: 1 };
  const line = (label, color, width = 2) => ({ label, stroke: color, width, points: { ...points, fill: color } });
  const opts = {
    width: Math.max(280, target.clientWidth),
    height: 260,
    tzDate: utc,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, max * 1.1)] } },
    series: [
      {},
      line('SMS sent', cssVar('--series-1'), 2),
      line('OTPs created', cssVar('--series-2'), 2),
      line('Verified', cssVar('--series-3'), 2),
    ],
    axes: [axis, { ...axis, size: 48 }],
  };
  target.replaceChildren();
  const plot = new uPlot(opts, [series.x, series.sent, series.attempts, series.converted], target);
  const resize = new ResizeObserver(() => {
    const width = Math.max(280, target.clientWidth);
    if (width !== plot.width) plot.setSize({ width, height: 260 });
  });
  resize.observe(target);
  return () => {
    resize.disconnect();
    plot.destroy();
  };
}
