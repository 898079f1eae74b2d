// docent's page: the entry point (bundled by esbuild into build/web/app.js)
const main = document.getElementById('app');
const p = main.querySelector('p');
fetch('/api/health').then((r) => r.json()).then((h) => {
  p.textContent = `docent ${h.version}`;
}).catch(() => { p.textContent = 'The server does not answer.'; });
