/**
 * A screen picker the test holds open: wraps getDisplayMedia (install with `addInitScript`) so
 * that, once held, it waits until the test chooses (Chromium's fake capture then answers) or
 * cancels, as a person looking through their windows would.
 */
import type { Page } from 'playwright-core';

interface PickerWindow {
  __holdPicker?: boolean;
  __picker?: { choose(): void; cancel(): void } | null;
}

/** Runs in the page before the app. */
export function holdablePicker() {
  const w = window as unknown as PickerWindow;
  const real = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getDisplayMedia = (opts?: DisplayMediaStreamOptions) => {
    if (!w.__holdPicker) return real(opts);
    return new Promise<MediaStream>((resolve, reject) => {
      w.__picker = {
        choose: () => void real(opts).then(resolve, reject),
        cancel: () => reject(new DOMException('The user cancelled the picker', 'NotAllowedError')),
      };
    });
  };
}

/** From now on the picker stays open until `answerPicker`. */
export const holdPicker = (p: Page) => p.evaluate(() => void ((window as unknown as PickerWindow).__holdPicker = true));

export const pickerOpen = (p: Page) => p.evaluate(() => Boolean((window as unknown as PickerWindow).__picker));

export const answerPicker = (p: Page, how: 'choose' | 'cancel') =>
  p.evaluate((h) => {
    const w = window as unknown as PickerWindow;
    w.__picker![h]();
    w.__picker = null;
  }, how);
