// "Top up": asks the gateway for a Stripe Checkout session and goes there. Shown only when the gateway
// says Stripe is configured (/web/config.json); the credit itself arrives later through Stripe's webhook.
import { api } from './api.js';
import { h } from './dom.js';

const USD_AMOUNT = /^\d{1,6}(\.\d{1,2})?$/;

/** Only Stripe's https pages or this origin: never a javascript: or plain-http address from a response. */
function safeDestination(url) {
  const target = new URL(url, location.href);
  return target.protocol === 'https:' || target.origin === location.origin ? target.href : null;
}

export function topUpPanel(key) {
  const input = h('input', { id: 'top-up-amount', name: 'amount', inputmode: 'decimal', value: '20', required: true, 'aria-describedby': 'top-up-hint' });
  const message = h('p', { class: 'hint', id: 'top-up-hint', role: 'status' }, 'Amount in USD; you pay on Stripe\u2019s checkout page.');
  const button = h('button', { type: 'submit', class: 'button' }, 'Top up');
  return h(
    'form',
    {
      class: 'top-up',
      onsubmit: async (event) => {
        event.preventDefault();
        const amount = input.value.trim();
        if (!USD_AMOUNT.test(amount) || Number(amount) <= 0) {
          input.setAttribute('aria-invalid', 'true');
          message.textContent = 'Enter an amount in USD such as 20 or 12.50.';
          return;
        }
        input.removeAttribute('aria-invalid');
        button.disabled = true;
        message.textContent = 'Opening Stripe Checkout…';
        try {
          const session = await api('/v1/billing/checkout', { key, method: 'POST', body: { amount_usd: amount } });
          const destination = safeDestination(session.url);
          if (!destination) throw new Error('the checkout address is not an https page');
          location.assign(destination);
        } catch (error) {
          message.textContent = `Could not start the top-up: ${error.message}`;
          button.disabled = false;
        }
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'top-up-amount' }, 'Add credit (USD)'), input),
    button,
    message,
  );
}
