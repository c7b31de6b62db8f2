/**
 * How a new assignment gets the agent's attention when they are looking elsewhere: a short chime
 * (WebAudio, no sound file to load) and a desktop notification. Browsers allow both only after the
 * user has done something on the page, so `unlockAlerts` is called from a click (the status
 * switch); until then the conversation list and the tab title are all there is.
 */

let audio: AudioContext | null = null;

/** Called from a user gesture: lets the chime play and asks once for notification permission. */
export function unlockAlerts(): void {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') void audio.resume();
  } catch {
    audio = null; // no WebAudio here: silent
  }
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission();
}

/** Two rising tones, 0.3 s in all, quiet. */
export function chime(): void {
  if (!audio || audio.state !== 'running') return;
  const start = audio.currentTime;
  for (const [i, frequency] of [660, 880].entries()) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + i * 0.15);
    gain.gain.exponentialRampToValueAtTime(0.12, start + i * 0.15 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.15 + 0.14);
    osc.connect(gain).connect(audio.destination);
    osc.start(start + i * 0.15);
    osc.stop(start + i * 0.15 + 0.15);
  }
}

/** A desktop notification, when allowed and the page is not in front; clicking it brings the desk forward. */
export function notify(title: string, body: string, onClick: () => void): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted' || document.visibilityState === 'visible') return;
  const n = new Notification(title, { body, tag: 'kefu-assignment', icon: '/favicon.svg' });
  n.onclick = () => {
    focus();
    onClick();
    n.close();
  };
}
