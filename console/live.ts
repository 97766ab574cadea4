import { h } from './dom';
import { when } from './time';

/** How often live mode asks for new events: a new callback shows within 5 s. */
export const LIVE_INTERVAL_MS = 2000;

/** Live mode's button and status line, and what turns it on and off (the `l` key) and stops it (leaving the view). */
export interface Live {
  controls: HTMLElement;
  toggle: () => void;
  stop: () => void;
}

/**
 * Live mode around `check` (which adds what is new and says how many): one check at a time, the
 * next one LIVE_INTERVAL_MS after the last answer, so a slow API never stacks requests up.
 */
export function liveMode(check: () => Promise<number>): Live {
  const status = h('span', { class: 'live-status', role: 'status' }, 'Live mode off.');
  const button = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Live');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let on = false;
  const run = async () => {
    try {
      const fresh = await check();
      if (on) status.textContent = `Live: checked ${when(new Date().toISOString())}${fresh ? `, ${fresh} new` : ''}.`;
    } catch (error) {
      if (on) status.textContent = `Live: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (on) timer = setTimeout(() => void run(), LIVE_INTERVAL_MS);
  };
  const stop = () => {
    on = false;
    clearTimeout(timer);
  };
  const toggle = () => {
    if (on) {
      stop();
      status.textContent = 'Live mode off.';
    } else {
      on = true;
      status.textContent = `Live: checking every ${LIVE_INTERVAL_MS / 1000} s.`;
      void run();
    }
    button.setAttribute('aria-pressed', String(on));
  };
  button.addEventListener('click', toggle);
  return { controls: h('p', { class: 'controls' }, button, ' ', status), toggle, stop };
}
