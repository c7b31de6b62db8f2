// First-run setup page: creates the first super admin with the one-time token (POST /api/v1/setup).
(async () => {
  const $ = (id) => document.getElementById(id);
  const form = $('setup');
  const show = (id) => {
    for (const el of [form, $('done'), $('complete'), $('intro')]) el.hidden = true;
    $(id).hidden = false;
  };
  try {
    const status = await (await fetch('/api/v1/setup')).json();
    if (status.status === 'complete') show('complete');
  } catch {
    // Offline or starting: the form stays; submitting reports the problem.
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const button = form.querySelector('button');
    button.disabled = true;
    $('error').hidden = true;
    try {
      const res = await fetch('/api/v1/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
      const body = await res.json();
      if (res.ok) {
        $('who').textContent = `${body.displayName} <${body.email}>`;
        show('done');
        return;
      }
      const fields = body.details && body.details.fields ? Object.entries(body.details.fields).map(([k, v]) => `${k}: ${v}`).join('; ') : '';
      $('error').textContent = fields || body.message;
    } catch {
      $('error').textContent = 'Kefu could not be reached; try again. 无法连接服务器，请重试。';
    }
    $('error').hidden = false;
    button.disabled = false;
  });
})();
