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
export function liveMode(check: () => Promise<number | string>): Live {
  const status = h('span', { class: 'live-status', role: 'status' }, 'Live mode off.');
  const button = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Live');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let on = false;
  // Each turn-on starts a new run; a check still in flight from an earlier one ends its loop.
  let generation = 0;
  const run = async (mine: number) => {
    try {
      const fresh = await check();
      if (mine === generation)
        status.textContent = `Live: checked ${when(new Date().toISOString())}${fresh ? `, ${fresh}${typeof fresh === 'number' ? ' new' : ''}` : ''}.`;
    } catch (error) {
      if (mine === generation) status.textContent = `Live: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (mine === generation) timer = setTimeout(() => void run(mine), LIVE_INTERVAL_MS);
  };
  const stop = () => {
    on = false;
    generation++;
    clearTimeout(timer);
  };
  const toggle = () => {
    if (on) {
      stop();
      status.textContent = 'Live mode off.';
    } else {
      on = true;
      status.textContent = `Live: checking every ${LIVE_INTERVAL_MS / 1000} s.`;
      void run(++generation);
    }
    button.setAttribute('aria-pressed', String(on));
  };
  button.addEventListener('click', toggle);
  return { controls: h('p', { class: 'controls' }, button, ' ', status), toggle, stop };
}
