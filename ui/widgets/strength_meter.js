// The strength meter under a new password: four bars, a label and the advice the shell's
// password_strength gives (the caller asks it and passes the result in).
import { h, icon, nextId } from './dom.js';

const STRENGTH_LABELS = ['Weak', 'Weak', 'Fair', 'Good', 'Strong'];
/** Scores below this are "too easy to guess". */
export const MIN_SCORE = 2;

/** The strength meter under a new password: four bars, a label and the backend's advice. */
export function strengthMeter() {
  const labelId = nextId('strength');
  const bars = h('span', { class: 'strength-bars', 'aria-hidden': 'true' },
    h('span', { class: 'strength-bar' }), h('span', { class: 'strength-bar' }), h('span', { class: 'strength-bar' }), h('span', { class: 'strength-bar' }));
  const label = h('span', { class: 'strength-label', id: labelId, 'aria-live': 'polite' });
  const tips = h('ul', { class: 'strength-feedback', 'aria-label': 'How to make it stronger' });
  const el = h('div', { class: 'strength', 'data-testid': 'password-strength', 'data-score': '' },
    h('div', { class: 'strength-head' }, bars, label), tips);
  const neutral = () => {
    el.classList.remove('is-pending', 'is-failed');
  };
  const meter = {
    el,
    labelId,
    set(s) {
      neutral();
      if (!s) {
        el.dataset.score = '';
        label.textContent = 'Use at least 8 characters; several unrelated words work well.';
        tips.replaceChildren();
        return;
      }
      const score = Math.max(0, Math.min(4, s.score));
      el.dataset.score = String(score);
      label.replaceChildren(h('strong', {}, STRENGTH_LABELS[score]), score < MIN_SCORE ? ' — too easy to guess' : '');
      tips.replaceChildren(...s.feedback.slice(0, 4).map((line) => h('li', {}, icon('info'), h('span', {}, sentence(line)))));
    },
    pending() {
      el.classList.add('is-pending');
      el.classList.remove('is-failed');
    },
    failed() {
      neutral();
      el.classList.add('is-failed');
      el.dataset.score = '';
      label.textContent = 'Could not check the strength; your server will refuse a weak password.';
      tips.replaceChildren();
    },
  };
  meter.set(null);
  return meter;
}

/** "use at least 8 characters" → "Use at least 8 characters." */
function sentence(text) {
  const s = String(text || '').trim();
  if (!s) return s;
  const first = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
