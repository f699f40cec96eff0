/**
 * Plays a steppable view: calls `step` every `intervalMs` until it returns false or the learner
 * pauses. `playing` is reactive, for the button's label.
 */
export class Player {
  playing = $state(false);
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly step: () => boolean,
    private readonly intervalMs = 700,
  ) {}

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  play(): void {
    if (this.playing) return;
    this.playing = true;
    this.timer = setInterval(() => {
      if (!this.step()) this.pause();
    }, this.intervalMs);
  }

  pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.playing = false;
  }
}
