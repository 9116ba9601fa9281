// Signals the first render: two animation frames after the document is ready, the first screen
// has been painted (the first rAF runs before that frame's paint, the second after it).
function afterPaint() {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__TAURI__.core.invoke('first_paint').catch(() => {});
  }));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', afterPaint);
else afterPaint();
