// Account section "Move to another server" (Tools tab): opens the migration wizard (screens/migrate.js).
import { h, button } from '../widgets/dom.js';
import { panelCard } from '../widgets/forms.js';

export function mount(parent, ctx, acct) {
  const { did } = acct;
  const move = button('Move to another server…', { iconName: 'server', 'data-testid': 'migration-open-wizard' });
  move.addEventListener('click', () => ctx.go('migrate', { did }));
  parent.append(panelCard({
    iconName: 'server', title: 'Move to another server', testid: 'migration-card',
    text: 'Copy everything to a new PDS, verify it, then point your identity there. Your followers stay.',
    children: [h('div', { class: 'tool-body' }, h('div', { class: 'form-actions' }, move))],
  }));
}
