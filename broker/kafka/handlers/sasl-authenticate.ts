/**
 * SaslAuthenticate (36): one step of the exchange SaslHandshake chose. Failed attempts slow their
 * address down like failed HTTP logins (security/failed-login-delay.ts), are audited, and answer
 * SASL_AUTHENTICATION_FAILED; the client then closes the connection, as with Kafka. A principal
 * holding quotaConnectionsPerPrincipal authenticated connections already is refused the same way
 * (the password was right: no delay is added).
 */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';
import { userTarget } from '../../security/authenticator.js';
import { userPrincipal } from '../../security/request-principal.js';

export const saslAuthenticate: KafkaApi = {
  name: 'SaslAuthenticate',
  async handle(body, request, services) {
    const { session } = request;
    const { authenticator, audit } = services.security;
    const answer = (errorCode: number, errorMessage: string | null, authBytes: Buffer) => ({ errorCode, errorMessage, authBytes, sessionLifetimeMs: 0 });
    if (session.exchange === null) return answer(KafkaErrorCode.ILLEGAL_SASL_STATE, 'SaslHandshake first', Buffer.alloc(0));
    await authenticator.delay.wait(session.address);
    const step = await session.exchange.step(body.authBytes as Buffer);
    if ('failure' in step) {
      session.exchange = null;
      const attempt = { address: session.address, target: step.user ? userTarget(step.user) : undefined };
      authenticator.delay.failed(attempt);
      // The user is known only once the exchange has read it: its own delay is served before the answer.
      await authenticator.delay.wait(attempt);
      audit({ action: 'authenticate', principal: null, address: session.address, outcome: 'failure', listener: 'kafka', mechanism: session.mechanism, user: step.user ?? null });
      return answer(KafkaErrorCode.SASL_AUTHENTICATION_FAILED, `Authentication failed: ${step.failure}`, Buffer.alloc(0));
    }
    if (step.user !== null) {
      session.exchange = null;
      const principal = userPrincipal(step.user);
      const release = services.security.quotas.hold('connections', principal);
      if (release === null) {
        audit({ action: 'authenticate', principal, address: session.address, outcome: 'failure', listener: 'kafka', reason: 'quotaConnectionsPerPrincipal' });
        return answer(KafkaErrorCode.SASL_AUTHENTICATION_FAILED, `${principal} holds its maximum of connections (quotaConnectionsPerPrincipal)`, Buffer.alloc(0));
      }
      session.holdConnection(release);
      session.principal = principal;
      authenticator.delay.succeeded({ address: session.address, target: userTarget(step.user) });
      audit({ action: 'authenticate', principal: session.principal, address: session.address, outcome: 'success', listener: 'kafka', mechanism: session.mechanism });
    }
    return answer(KafkaErrorCode.NONE, null, step.reply);
  },
};
