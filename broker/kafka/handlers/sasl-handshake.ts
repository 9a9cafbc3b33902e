/**
 * SaslHandshake (17): the client names its mechanism; answered with the mechanisms offered
 * (UNSUPPORTED_SASL_MECHANISM for another). The exchange itself follows in SaslAuthenticate
 * frames (v1; v0's raw frames are not served: every maintained client uses v1).
 */
import type { KafkaApi } from '../context.js';
import { KafkaErrorCode } from '../error-codes.js';
import { SASL_MECHANISMS, type SaslMechanism, saslExchange } from '../../security/sasl.js';

export const saslHandshake: KafkaApi = {
  name: 'SaslHandshake',
  handle(body, request, services) {
    const mechanism = body.mechanism as string;
    const session = request.session;
    if (session.principal !== null && session.mechanism !== null) return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, mechanisms: [...SASL_MECHANISMS] };
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) return { errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [...SASL_MECHANISMS] };
    session.mechanism = mechanism as SaslMechanism;
    session.exchange = saslExchange(session.mechanism, services.security.credentials);
    return { errorCode: KafkaErrorCode.NONE, mechanisms: [...SASL_MECHANISMS] };
  },
};
