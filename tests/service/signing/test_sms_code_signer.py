"""Signing with a one-time code by SMS (R-ORD-4): sent at the moment of signing, hashed, few attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.shared.errors import Expired, InvalidRequest, TooManyAttempts
from chalicelib.shared.identity import Person
from chalicelib.signing.ports import SigningMethod, SigningRequest
from chalicelib.signing.services import SmsCodeSigner
from tests.fakes.signing import MemoryChallenges, RecordingTexts
from tests.fakes.store import MemoryStore
from tests.fakes.world import Clock

ADAM = Person(user_id="adam", org_id="region", name="Adam", email="a@x", phone="+46701000002")
REQUEST = SigningRequest(
    purpose="step-1", signer=ADAM, description="attest order {number}", params={"number": "RITM0000001"}
)


@pytest.fixture
def signer() -> SmsCodeSigner:
    store = MemoryStore()
    return SmsCodeSigner(MemoryChallenges(store), RecordingTexts(), Clock(), timedelta(minutes=5), max_attempts=5)


def sent_code(signer: SmsCodeSigner) -> str:
    texts = signer._texts
    assert isinstance(texts, RecordingTexts)
    return texts.sent[-1][1][:6]


def verify(signer: SmsCodeSigner, proof: str | None, request: SigningRequest = REQUEST):
    store = MemoryStore()
    transaction = store.begin()
    signature = signer.verify(transaction, request, proof)
    transaction.commit()
    return signature


def test_the_sms_is_in_the_signers_language(signer: SmsCodeSigner):
    english = SigningRequest(
        purpose="step-2",
        signer=ADAM.model_copy(update={"language": "en"}),
        description=REQUEST.description,
        params=REQUEST.params,
    )
    signer.start(english)
    _, text = signer._texts.sent[-1]  # type: ignore[attr-defined]
    assert "is your code to attest order RITM0000001" in text and "5 minutes" in text


def test_a_code_goes_by_sms_and_the_answer_shows_the_number_masked(signer: SmsCodeSigner):
    answer = signer.start(REQUEST)
    assert answer["sent_to"] == "•" * 9 + "002"
    phone, text = signer._texts.sent[-1]  # type: ignore[attr-defined]
    # In Adam's language, Swedish, as his mail is.
    assert phone == ADAM.phone and "attestera beställning RITM0000001" in text and "5 minuter" in text
    code = sent_code(signer)
    assert code.isdigit() and code not in str(signer._challenges.challenges)  # type: ignore[attr-defined]


def test_the_right_code_signs_once(signer: SmsCodeSigner):
    signer.start(REQUEST)
    signature = verify(signer, sent_code(signer))
    assert signature.method is SigningMethod.SMS_ONE_TIME_CODE and signature.signer_id == "adam"


def test_wrong_codes_are_counted_until_none_are_left(signer: SmsCodeSigner):
    signer.start(REQUEST)
    code = sent_code(signer)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(InvalidRequest, match=f"{left} attempt"):
            verify(signer, wrong)
    with pytest.raises(TooManyAttempts):
        verify(signer, code)


def test_a_code_expires(signer: SmsCodeSigner):
    signer.start(REQUEST)
    signer._clock.advance(minutes=5)  # type: ignore[attr-defined]
    with pytest.raises(Expired):
        verify(signer, sent_code(signer))


def test_a_new_code_replaces_the_old_and_only_five_are_sent(signer: SmsCodeSigner):
    for _ in range(5):
        signer.start(REQUEST)
    with pytest.raises(TooManyAttempts):
        signer.start(REQUEST)
    assert len(signer._texts.sent) == 5  # type: ignore[attr-defined]


def test_nobody_signs_with_a_code_sent_to_someone_else(signer: SmsCodeSigner):
    signer.start(REQUEST)
    alva = ADAM.model_copy(update={"user_id": "alva"})
    with pytest.raises(InvalidRequest, match="Ask for a one-time code first"):
        verify(signer, sent_code(signer), SigningRequest(purpose="step-1", signer=alva, description="x"))
    with pytest.raises(InvalidRequest, match="one-time code sent to your phone"):
        verify(signer, None)


def test_no_code_without_a_mobile_number(signer: SmsCodeSigner):
    with pytest.raises(InvalidRequest, match="No mobile number"):
        signer.start(SigningRequest(purpose="p", signer=ADAM.model_copy(update={"phone": None}), description="x"))


def test_a_code_whose_sms_failed_costs_none_of_the_five(signer: SmsCodeSigner, monkeypatch):
    """A failed send used to count toward the limit, so a person could be locked out by the network."""
    texts = signer._texts

    def unavailable(phone_number: str, text: str) -> None:
        raise ConnectionError("SNS is unavailable")

    monkeypatch.setattr(texts, "send", unavailable)
    for _ in range(7):
        with pytest.raises(ConnectionError):
            signer.start(REQUEST)
    monkeypatch.undo()
    for _ in range(5):
        signer.start(REQUEST)
    verify(signer, sent_code(signer))
