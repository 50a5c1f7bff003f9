export const CONSOLE_SCRIPT_PATH = '/console/Assets/console.js';

/**
 * The console's one script, progressive enhancement only: every page works without it. It
 * turns the search box into search-as-you-type (the same GET the form sends, asking for the
 * results fragment only), so a search never needs a submit on a keyboard or a phone. On the
 * activity page's first page it reloads the events every few seconds the same way.
 */
export const CONSOLE_SCRIPT = `(() => {
  'use strict';
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', async () => {
      const field = document.getElementById(button.getAttribute('data-copy'));
      if (!field) return;
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Select and copy';
      }
    });
  }
  const feed = document.querySelector('form[data-auto-refresh]');
  const activity = document.getElementById('activity');
  if (feed && activity) {
    const every = Math.max(2000, Number(feed.getAttribute('data-auto-refresh')) || 5000);
    const params = new URLSearchParams(location.search);
    params.delete('cursor');
    params.set('fragment', '1');
    const refresh = async () => {
      if (document.hidden) return;
      try {
        const response = await fetch(feed.getAttribute('action') + '?' + params.toString(), {
          credentials: 'same-origin',
          headers: { accept: 'text/html' },
        });
        if (response.ok) activity.innerHTML = await response.text();
      } catch {
        // Offline for a moment: the next tick tries again.
      }
    };
    setInterval(refresh, every);
  }
  const form = document.querySelector('form[data-live-search]');
  const results = document.getElementById('results');
  if (!form || !results) return;
  const input = form.querySelector('input[type=search]');
  const status = document.getElementById('search-status');
  let timer;
  let controller;
  const run = async () => {
    if (controller) controller.abort();
    controller = new AbortController();
    const query = new URLSearchParams(new FormData(form));
    const page = form.getAttribute('action') + '?' + query.toString();
    query.set('fragment', '1');
    try {
      const response = await fetch(form.getAttribute('action') + '?' + query.toString(), {
        signal: controller.signal,
        credentials: 'same-origin',
        headers: { accept: 'text/html' },
      });
      if (!response.ok) return;
      results.innerHTML = await response.text();
      history.replaceState(null, '', page);
      if (status) status.textContent = results.getAttribute('data-summary') || '';
    } catch (error) {
      if (error && error.name !== 'AbortError') throw error;
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });
})();
`;
