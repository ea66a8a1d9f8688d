import { mount } from 'svelte';
import App from './App.svelte';
import { i18n } from './lib/i18n.svelte.ts';
import { lookUpEarly } from './lib/meeting-lookup.ts';
import { nav } from './lib/navigation.svelte.ts';
import './app.css';

// Join phases, read by bench/join.
performance.mark('sealroom:app-start');
// Opened on a meeting link: its details and the meeting page's code are fetched side by side
// (App imports the same module; the browser loads it once).
if (nav.route.page === 'meeting') {
  lookUpEarly(nav.route.id);
  void import('./components/MeetingPage.svelte');
}

document.documentElement.lang = i18n.lang;
const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');
mount(App, { target });
