// What an up made, and when it is removed again. An up that is cancelled removes everything it
// made and did not finish making (its container, the images it built, the volumes made for the
// container); one that fails removes only what was made for a container that never came to be
// (its volumes: an image it built is kept for the next try, and a container that exists is kept
// so its state and logs show what went wrong; hb down removes it).

/** One thing the up made, and how to remove it (the answer: what to tell the user, if anything). */
export interface Made {
  what: string;
  remove(): Promise<string | undefined>;
  /** Removed also when the up fails before its container exists (not only when it is cancelled). */
  beforeContainer?: boolean;
}

export class MadeByUp {
  private readonly items: Made[] = [];
  private container = false;
  private finished = false;

  /** Something this up made; removed again in the reverse order of making. */
  add(item: Made): void {
    this.items.push(item);
  }

  /** The container exists: from now on, a failure keeps what was made for it. */
  containerMade(): void {
    this.container = true;
  }

  /** The container is made (its create-time commands ran or were handed on): nothing is undone any more. */
  finish(): void {
    this.finished = true;
  }

  /** Removes what must go after the up ended with an error (`cancelled`: by the user). */
  async undo(cancelled: boolean, note: (message: string) => void): Promise<void> {
    if (this.finished) return;
    const due = this.items.filter((m) => cancelled || (!this.container && m.beforeContainer));
    for (const m of due.reverse()) {
      const said = await m.remove().catch(() => undefined);
      if (said) note(said);
    }
  }
}
