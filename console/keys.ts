/** What the keyboard does: j/k move between rows, Enter opens (table.ts), Backspace goes back, l live, r reload, d/g/x views. */
export function bindKeys(actions: { render(): void; toggleLive(): void; go(view: 'devices' | 'registrations' | 'rejections'): void }): void {
  document.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement;
    // Typing in a field is typing, not a command.
    if (event.ctrlKey || event.metaKey || event.altKey || target.closest('input, textarea, select')) return;
    switch (event.key) {
      case 'j':
      case 'k':
        move(target, event.key === 'j' ? 1 : -1);
        break;
      case 'Backspace':
        history.back();
        break;
      case 'l':
        actions.toggleLive();
        break;
      case 'r':
        actions.render();
        break;
      case 'd':
        actions.go('devices');
        break;
      case 'g':
        actions.go('registrations');
        break;
      case 'x':
        actions.go('rejections');
        break;
      default:
        return;
    }
    event.preventDefault();
  });
}

/** Focus the next (or previous) openable row of the view. */
function move(from: HTMLElement, step: 1 | -1): void {
  const rows = [...document.querySelectorAll<HTMLElement>('#view tr[tabindex]')];
  if (rows.length === 0) return;
  const at = rows.indexOf(from);
  const next = rows[at === -1 ? 0 : Math.min(Math.max(at + step, 0), rows.length - 1)];
  next?.focus();
  next?.scrollIntoView({ block: 'nearest' });
}
