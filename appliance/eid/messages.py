"""German messages for the operator and the citizen.

One table for everything AusweisApp can report: its failure codes (``reason`` in the
AUTH result, listed in the SDK documentation "Failure Codes"), the eCard-API
result minor codes (the only hint AusweisApp before 1.26.3 gives), the prompts of
the workflow, and the reader states. Nothing English reaches the operator page.
"""

from __future__ import annotations

CANCELLED = "Der Vorgang wurde abgebrochen. Es wurden keine Daten übermittelt."
CARD_LOST = (
    "Die Verbindung zum Ausweis ist abgerissen. Bitte den Ausweis ruhig auf das "
    "Lesegerät legen und liegen lassen, bis der Vorgang abgeschlossen ist."
)
CARD_POSITION = (
    "Der Ausweis konnte nicht gelesen werden. Bitte den Ausweis anders auf das "
    "Lesegerät legen (mittig, ohne andere Karten) und den Vorgang wiederholen."
)
SERVICE_SETUP = (
    "Der eID-Dienst der Kommune ist nicht richtig eingerichtet. Bitte den "
    "IT-Dienstleister informieren; der Bürger kann nichts dafür."
)
SERVICE_CERTIFICATE = (
    "Das Berechtigungszertifikat des eID-Dienstes wurde von der AusweisApp "
    "abgelehnt. Bitte den IT-Dienstleister informieren."
)
NETWORK = (
    "Der eID-Dienst ist nicht erreichbar. Bitte die Netzwerkverbindung des Geräts "
    "prüfen und den Vorgang wiederholen."
)
SERVICE_ERROR = (
    "Der eID-Server hat die Anfrage nicht korrekt beantwortet. Bitte den Vorgang "
    "wiederholen; bleibt der Fehler, den IT-Dienstleister informieren."
)
SUPPORT = (
    "Die AusweisApp meldet einen internen Fehler. Bitte den Vorgang wiederholen; "
    "bleibt der Fehler, den Support mit der Uhrzeit informieren."
)
GENERIC = (
    "Die Identifizierung ist fehlgeschlagen ({code}). Bitte den Vorgang wiederholen; "
    "bleibt der Fehler, den Support informieren."
)

# AusweisApp failure codes (field ``reason``): exact entries first ...
FAILURE_CODES: dict[str, str] = {
    "User_Cancelled": CANCELLED,
    "Card_Removed": CARD_LOST,
    "Get_TcToken_Network_Error": NETWORK,
    "Generic_Send_Receive_Network_Error": NETWORK,
    "Generic_Provider_Communication_Network_Error": NETWORK,
    "Pre_Verification_No_Test_Environment": (
        "Die AusweisApp läuft im Entwicklermodus, der nur Testausweise annimmt. "
        "Bitte den Entwicklermodus ausschalten lassen."
    ),
    "Pre_Verification_Certificate_Expired": (
        "Das Berechtigungszertifikat des eID-Dienstes ist nicht gültig – oder die "
        "Uhr des Geräts geht falsch. Bitte Datum und Uhrzeit prüfen."
    ),
    "Connect_Card_Eid_Inactive": (
        "Die Online-Ausweisfunktion dieses Ausweises ist ausgeschaltet. Sie kann im "
        "Bürgeramt eingeschaltet werden; bis dahin geht nur das Vor-Ort-Auslesen "
        "mit der Zugangsnummer (CAN), wenn der Dienst es anbietet."
    ),
    "Establish_Pace_Channel_No_Active_Pin": (
        "Der Ausweis hat noch die fünfstellige Transport-PIN. Der Bürger muss zuerst "
        "eine eigene sechsstellige PIN setzen (AusweisApp, „PIN ändern“)."
    ),
    "Establish_Pace_Channel_Puk_Inoperative": (
        "Die PUK dieses Ausweises ist verbraucht (zehnmal benutzt). Eine neue PIN "
        "gibt es im Bürgeramt oder über den PIN-Rücksetzbrief."
    ),
    "Establish_Pace_Channel_Basic_Reader_No_Pin": SUPPORT,
    "Prepace_Pace_Smart_Eid_Invalidated": (
        "Die Smart-eID ist nach drei falschen PIN-Eingaben gesperrt und muss neu "
        "eingerichtet werden."
    ),
    "Change_Pin_Input_Timeout": (
        "Die PIN wurde nicht innerhalb von 60 Sekunden am Lesegerät eingegeben."
    ),
    "Change_Pin_New_Pin_Mismatch": "Die neue PIN wurde nicht gleich bestätigt.",
    "Change_Pin_Card_New_Pin_Mismatch": "Die neue PIN wurde nicht gleich bestätigt.",
}

# ... then prefixes, longest match wins.
FAILURE_PREFIXES: dict[str, str] = {
    "Parse_TcToken_": SERVICE_SETUP,
    "Get_TcToken_": SERVICE_SETUP,
    "Certificate_Check_Failed_": SERVICE_CERTIFICATE,
    "Pre_Verification_": SERVICE_CERTIFICATE,
    "Extract_Cvcs_From_Eac1_": SERVICE_CERTIFICATE,
    "Process_Certificates_From_Eac2_": SERVICE_CERTIFICATE,
    "Did_Authenticate_Eac2_Invalid_": SERVICE_CERTIFICATE,
    "Connect_Card_": CARD_POSITION,
    "Maintain_Card_Connection_": CARD_POSITION,
    "Did_Authenticate_": CARD_POSITION,
    "Transmit_Card_": CARD_POSITION,
    "Establish_Pace_Channel_": CARD_POSITION,
    "Generic_Send_Receive_": SERVICE_ERROR,
    "Start_Paos_Response_": SERVICE_ERROR,
    "Generic_Provider_Communication_": SERVICE_ERROR,
    "Get_SelfAuthData_": SERVICE_ERROR,
    "Check_Refresh_Address_": (
        "Die Identifizierung war erfolgreich, aber die Rücksprungadresse des "
        "eID-Dienstes ist nicht erreichbar. Es wurden keine Daten übernommen; bitte "
        "den IT-Dienstleister informieren."
    ),
    "Redirect_Browser_": SUPPORT,
    "Processing_Send_Status_": SUPPORT,
    "Change_Pin_": "Die PIN konnte nicht geändert werden. Bitte erneut versuchen.",
    "Start_Ifd_Service_": SUPPORT,
    "Prepare_Pace_Ifd_": SUPPORT,
    "Establish_Pace_Ifd_": SUPPORT,
    "Enter_Pace_Password_Ifd_": CANCELLED,
    "Enter_New_Pace_Pin_Ifd_": CANCELLED,
}

# eCard-API result minor codes (suffix after ``resultminor/``).
RESULT_MINOR: dict[str, str] = {
    "sal#cancellationByUser": CANCELLED,
    "al/common#internalError": SUPPORT,
    "al/common#unknownError": SUPPORT,
    "al/common#noPermission": SERVICE_CERTIFICATE,
    "al/common#incorrectParameter": SERVICE_ERROR,
    "dp#timeout": (
        "Zeitüberschreitung: der Vorgang hat zu lange gedauert. Bitte wiederholen."
    ),
    "dp#communicationError": NETWORK,
    "dp#trustedChannelEstablishmentFailed": NETWORK,
    "ifdl/common#timeoutError": (
        "Zeitüberschreitung am Lesegerät. Bitte den Vorgang wiederholen."
    ),
    "ifdl/terminal#noCard": "Es liegt kein Ausweis auf dem Lesegerät.",
    "sal/mEAC#AgeVerificationFailedWarning": (
        "Die Altersbestätigung ist negativ: der Ausweisinhaber hat das geforderte "
        "Alter nicht erreicht."
    ),
    "sal/mEAC#CommunityVerificationFailedWarning": (
        "Die Wohnortbestätigung ist negativ: der Wohnort liegt nicht im geforderten "
        "Gebiet."
    ),
    "sal/mEAC#DocumentValidityVerificationFailed": (
        "Der Ausweis ist abgelaufen oder gesperrt und kann nicht benutzt werden."
    ),
}

# Workflow prompts: citizen-facing text, then the operator's hint.
PROMPTS: dict[str, str] = {
    "INSERT_CARD": "Bitte legen Sie Ihren Ausweis auf das Lesegerät.",
    "ACCESS_RIGHTS": "Bitte prüfen Sie, welche Daten übermittelt werden.",
    "ENTER_PIN": "Bitte geben Sie Ihre sechsstellige Ausweis-PIN ein.",
    "ENTER_PIN_KEYPAD": "Bitte geben Sie Ihre Ausweis-PIN am Lesegerät ein.",
    "ENTER_CAN": (
        "Bitte geben Sie die sechsstellige Zugangsnummer (CAN) ein. Sie steht auf "
        "der Vorderseite des Ausweises rechts unten."
    ),
    "ENTER_CAN_KEYPAD": "Bitte geben Sie die Zugangsnummer (CAN) am Lesegerät ein.",
    "ENTER_PUK": (
        "Die PIN ist nach drei Fehlversuchen gesperrt. Bitte geben Sie die "
        "zehnstellige PUK aus Ihrem PIN-Brief ein."
    ),
    "ENTER_PUK_KEYPAD": "Bitte geben Sie die PUK am Lesegerät ein.",
    "RUNNING": "Der Ausweis wird gelesen. Bitte nicht bewegen.",
    "CAN_BEFORE_LAST_PIN": (
        "Die PIN wurde zweimal falsch eingegeben. Vor dem letzten Versuch wird die "
        "Zugangsnummer (CAN) gebraucht."
    ),
}

WRONG_PIN = "Die PIN war falsch. Verbleibende Versuche: {retries}."
WRONG_CAN = "Die Zugangsnummer (CAN) war falsch. Bitte erneut eingeben."
WRONG_PUK = "Die PUK war falsch. Bitte erneut eingeben."


def failure_message(reason: str | None, minor: str | None = None) -> str:
    """The German message for an AusweisApp failure code or result minor code."""
    if reason:
        if reason in FAILURE_CODES:
            return FAILURE_CODES[reason]
        matches = [p for p in FAILURE_PREFIXES if reason.startswith(p)]
        if matches:
            return FAILURE_PREFIXES[max(matches, key=len)]
    if minor:
        suffix = minor.split("resultminor/", 1)[-1]
        if suffix in RESULT_MINOR:
            return RESULT_MINOR[suffix]
    return GENERIC.format(code=reason or (minor or "unbekannt").rsplit("/", 1)[-1])
