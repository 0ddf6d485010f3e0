#!/usr/bin/env python3
"""Writes the HL7 v2 sample messages of samples/hl7v2/ (README.md there says what each is).

The messages are made up for the reference trial NCT06813157 and its sample subjects
(samples/entities/nct06813157-subject-*.json: their hospital identifiers are in PID-3). Fields are
given by number so that positions are right; run again after editing: python3 samples/hl7v2/make_samples.py
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent

SEND_APP = "TAIXIN-LIS^2.16.156.99999.10.1^ISO"
SEND_FAC = "TAIXIN^2.16.156.99999.10^ISO"
MRN_AUTH = "TAIXIN&https://dongguan-taixin.example/sid/mrn&URI"
HOSP = "TAIXIN&2.16.156.99999.10&ISO"
LAB_ORG = "Dongguan Taixin Hospital Clinical Laboratory^L^^^^" + HOSP + "^XX^^^TXLAB01"
LAB_ADDR = "Taixin Road 1^^Dongguan^GD^523000^CHN^B"
DIRECTOR = "D5678^Li^Hua^^^Dr.^^^" + HOSP + "^L^^^EI"
DOCTOR = "D1234^Zhang^Min^^^Dr.^^^" + HOSP + "^L^^^EI"


def seg(name, fields, sep="|"):
    last = max(fields)
    return name + sep + sep.join(fields.get(i, "") for i in range(1, last + 1))


def msh(ts, control, charset="UNICODE UTF-8", app=SEND_APP, fac=SEND_FAC, ack=("", "")):
    return "MSH|^~\\&|" + "|".join([app, fac, "TRIALBRIDGE", "NCT06813157", ts + "+0800", "",
                                     "ORU^R01^ORU_R01", control, "P", "2.5.1", "", "",
                                     ack[0], ack[1], "CHN", charset])


PATIENTS = {
    "ITP-0001": {1: "1", 3: "MRN0048213^^^" + MRN_AUTH + "^MR",
                 5: "Wang^Li^^^^^L^A~\u738b^\u4e3d^^^^^L^I", 7: "19880412", 8: "F",
                 11: "Dongcheng Road 18^^Dongguan^GD^523000^CHN^H",
                 13: "^PRN^PH^^86^769^22881234"},
    "ITP-0002": {1: "1", 3: "MRN0051977^^^" + MRN_AUTH + "^MR", 5: "Huang^Wei^^^^^L", 7: "19611130",
                 8: "M"},
    "ITP-0003": {1: "1", 3: "440-1973-0098^^^CNHI&2.16.156.99999.2&ISO^PI~MRN0050102^^^" + MRN_AUTH +
                 "^MR", 5: "Chen^Xiaoming^^^^^L", 7: "20150721", 8: "M"},
}


def pid(subject):
    return seg("PID", PATIENTS[subject])


def pv1(visit, when):
    return seg("PV1", {1: "1", 2: "O", 3: "HEM^^^TAIXIN", 7: DOCTOR,
                       19: visit + "^^^" + HOSP + "^VN", 44: when})


def orc(placer, filler, when, status="CM"):
    return seg("ORC", {1: "RE", 2: placer + "^TAIXIN-HIS", 3: filler + "^TAIXIN-LIS", 5: status,
                       9: when, 12: DOCTOR})


def obr(n, placer, filler, code, collected, reported, section, status="F"):
    return seg("OBR", {1: str(n), 2: placer + "^TAIXIN-HIS", 3: filler + "^TAIXIN-LIS", 4: code,
                       7: collected, 16: DOCTOR, 22: reported, 24: section, 25: status})


def obx(n, vtype, code, value, units="", rng="", flag="", status="F", when="", analysed=""):
    return seg("OBX", {1: str(n), 2: vtype, 3: code, 5: value, 6: units, 7: rng, 8: flag,
                       11: status, 14: when, 18: "XN-1000^SYSMEX", 19: analysed, 23: LAB_ORG,
                       24: LAB_ADDR, 25: DIRECTOR})


def spm(specimen, stype, collected, received):
    return seg("SPM", {1: "1", 2: "^" + specimen + "&TAIXIN-LIS", 4: stype,
                       7: "VENIP^Venipuncture^HL70488", 12: "2^mL&milliliter&UCUM", 17: collected,
                       18: received})


EDTA = "119297000^Blood specimen^SCT^EDTA^Whole blood, EDTA^99TXL"
SERUM = "119364003^Serum specimen^SCT^SER^Serum^99TXL"
UMOL = "\u00b5mol/L"


def cbc(n, plt, when, more=True, status="F", flag=""):
    """The results of a CBC: local codes (99TXL), the platelet count with its LOINC too."""
    rows = [("NM", "PLT^Platelet count^99TXL^777-3^Platelets [#/volume] in Blood by Automated count^LN",
             plt, "x10E9/L^x10E9/L^99TXL", "125-350", flag or ("L" if float(plt) < 125 else "N"))]
    if more:
        rows += [
            ("NM", "WBC^White blood cells^99TXL", "6.2", "x10E9/L^x10E9/L^99TXL", "3.5-9.5", "N"),
            ("NM", "RBC^Red blood cells^99TXL", "4.31", "x10E12/L^x10E12/L^99TXL", "3.8-5.1", "N"),
            ("NM", "HGB^Haemoglobin^99TXL", "128", "g/L^^UCUM", "115-150", "N"),
            ("NM", "HCT^Haematocrit^99TXL", "38.9", "%^^UCUM", "35-45", "N"),
            ("NM", "MCV^Mean cell volume^99TXL", "90.3", "fL^^UCUM", "82-100", "N"),
            ("NM", "MCH^Mean cell haemoglobin^99TXL", "29.7", "pg^^UCUM", "27-34", "N"),
            ("NM", "MCHC^Mean cell haemoglobin concentration^99TXL", "329", "g/L^^UCUM", "316-354", "N"),
            ("NM", "MPV^Mean platelet volume^99TXL", "12.8", "fL^^UCUM", "7.4-12.5", "H"),
            ("NM", "NEUT#^Neutrophils^99TXL", "3.9", "x10E9/L^x10E9/L^99TXL", "1.8-6.3", "N"),
            ("NM", "LYMPH#^Lymphocytes^99TXL", "1.7", "x10E9/L^x10E9/L^99TXL", "1.1-3.2", "N"),
        ]
    return [obx(i + n, t, c, v, u, r, f, status, when, when) for i, (t, c, v, u, r, f) in enumerate(rows)]


def write(name, segments, encoding="utf-8", terminator="\r"):
    data = terminator.join(segments) + terminator
    (HERE / name).write_bytes(data.encode(encoding))


def screening():
    t = "20250203"
    write("nct06813157-itp-0001-screening.hl7", [
        msh(t + "093012", "TX2502030093"),
        pid("ITP-0001"),
        pv1("V0001234", t + "080000"),
        orc("ORD-250203-001", "LAB-2502030087", t + "073000"),
        obr(1, "ORD-250203-001", "LAB-2502030087",
            "CBC^Complete blood count^99TXL^58410-2^CBC panel - Blood by Automated count^LN",
            t + "074500", t + "091500", "HM"),
        *cbc(1, "18", t + "074500"),
        "NTE|1|L|Platelet count confirmed on a blood smear; no platelet clumps seen.",
        spm("SP2502030087", EDTA, t + "074500", t + "081200"),
        orc("ORD-250203-002", "LAB-2502030088", t + "073000"),
        obr(2, "ORD-250203-002", "LAB-2502030088", "CHEM^Liver and renal chemistry^99TXL",
            t + "074500", t + "092500", "CH"),
        obx(1, "NM", "ALT^ALT (GPT)^99TXL", "23", "U/L^^UCUM", "7-40", "N", "F", t + "074500"),
        obx(2, "NM", "AST^AST (GOT)^99TXL", "21", "U/L^^UCUM", "13-35", "N", "F", t + "074500"),
        obx(3, "NM", "TBIL^Total bilirubin^99TXL", "12.4", UMOL, "3.4-20.5", "N", "F", t + "074500"),
        obx(4, "NM", "CREAT^Creatinine^99TXL", "58", UMOL, "41-73", "N", "F", t + "074500"),
        obx(5, "NM", "EGFR^eGFR (CKD-EPI)^99TXL", "112", "mL/min/1.73m2", ">90", "N", "F", t + "074500"),
        spm("SP2502030088", SERUM, t + "074500", t + "081200"),
        orc("ORD-250203-003", "LAB-2502030089", t + "073000"),
        obr(3, "ORD-250203-003", "LAB-2502030089", "HCGS^hCG, serum^99TXL", t + "074500",
            t + "092800", "CH"),
        obx(1, "CWE", "HCGS^hCG, serum, qualitative^99TXL", "260385009^Negative^SCT", "", "Negative",
            "N", "F", t + "074500"),
        obx(2, "SN", "BHCG^beta-hCG, serum^99TXL", "<^5", "mIU/mL^mIU/mL^99TXL", "<5", "N", "F",
            t + "074500"),
        spm("SP2502030089", SERUM, t + "074500", t + "081200"),
    ])


def baseline():
    t = "20250211"
    write("nct06813157-itp-0001-baseline-cbc.hl7", [
        msh(t + "101545", "TX2502110211"), pid("ITP-0001"), pv1("V0001301", t + "080000"),
        orc("ORD-250211-004", "LAB-2502110154", t + "073500"),
        obr(1, "ORD-250211-004", "LAB-2502110154", "CBC^Complete blood count^99TXL",
            t + "075000", t + "100500", "HM"),
        *cbc(1, "22", t + "075000"),
        spm("SP2502110154", EDTA, t + "075000", t + "082000"),
    ])


def followup_d14():
    t = "20250416"
    write("nct06813157-itp-0001-fu-d14.hl7", [
        msh(t + "113000", "TX2504160320", ack=("AL", "NE")), pid("ITP-0001"), pv1("V0001733", t + "083000"),
        orc("ORD-250416-010", "LAB-2504160201", t + "081000"),
        obr(1, "ORD-250416-010", "LAB-2504160201", "CBC^Complete blood count^99TXL",
            t + "082000", t + "101000", "HM"),
        *cbc(1, "64", t + "082000", more=False),
        spm("SP2504160201", EDTA, t + "082000", t + "085000"),
        orc("ORD-250416-011", "LAB-2504160202", t + "081000"),
        obr(2, "ORD-250416-011", "LAB-2504160202", "CHEM^Liver and renal chemistry^99TXL",
            t + "082000", t + "112000", "CH"),
        obx(1, "NM", "ALT^ALT (GPT)^99TXL", "31", "U/L^^UCUM", "7-40", "N", "F", t + "082000"),
        obx(2, "NM", "AST^AST (GOT)^99TXL", "27", "U/L^^UCUM", "13-35", "N", "F", t + "082000"),
        obx(3, "NM", "TBIL^Total bilirubin^99TXL", "14.1", UMOL, "3.4-20.5", "N", "F", t + "082000"),
        obx(4, "NM", "CREAT^Creatinine^99TXL", "61", UMOL, "41-73", "N", "F", t + "082000"),
        spm("SP2504160202", SERUM, t + "082000", t + "085000"),
    ])


def followup_m1():
    t = "20250502"
    chem = [
        orc("ORD-250502-014", "LAB-2505020413", t + "080500"),
        obr(2, "ORD-250502-014", "LAB-2505020413", "CHEM^Liver and renal chemistry^99TXL",
            t + "081500", t + "103000", "CH"),
        obx(1, "NM", "ALT^ALT (GPT)^99TXL", "98", "U/L^^UCUM", "7-40", "H", "F", t + "081500"),
        obx(2, "NM", "AST^AST (GOT)^99TXL", "76", "U/L^^UCUM", "13-35", "H", "F", t + "081500"),
        obx(3, "NM", "TBIL^Total bilirubin^99TXL", "15.0", UMOL, "3.4-20.5", "N", "F", t + "081500"),
        obx(4, "NM", "CREAT^Creatinine^99TXL", "63", UMOL, "41-73", "N", "F", t + "081500"),
        "NTE|1|L|ALT and AST raised; repeat advised in one week.",
        spm("SP2505020413", SERUM, t + "081500", t + "084500"),
    ]
    write("nct06813157-itp-0001-fu-m1.hl7", [
        msh(t + "103512", "TX2505020901"), pid("ITP-0001"), pv1("V0001902", t + "080000"),
        orc("ORD-250502-013", "LAB-2505020412", t + "080500"),
        obr(1, "ORD-250502-013", "LAB-2505020412", "CBC^Complete blood count^99TXL",
            t + "081500", t + "093000", "HM"),
        *cbc(1, "112", t + "081500", more=False),
        spm("SP2505020412", EDTA, t + "081500", t + "084500"),
        *chem,
    ])
    # The platelet count corrected the same afternoon: same filler order number, OBX-11 C.
    write("nct06813157-itp-0001-fu-m1-corrected.hl7", [
        msh(t + "151045", "TX2505021405"), pid("ITP-0001"), pv1("V0001902", t + "080000"),
        orc("ORD-250502-013", "LAB-2505020412", t + "080500"),
        obr(1, "ORD-250502-013", "LAB-2505020412", "CBC^Complete blood count^99TXL",
            t + "081500", t + "150500", "HM", status="C"),
        *cbc(1, "121", t + "081500", more=False, status="C", flag="N"),
        "NTE|1|L|Corrected result: the first count was made on a partly clotted sample; re-run "
        "on a new sample drawn at 14:20.",
        spm("SP2505020412", EDTA, t + "081500", t + "084500"),
    ])


def itp0003_m2(control, when):
    t = "20250306"
    return [
        msh(t + when, control), pid("ITP-0003"), pv1("V0003517", t + "081000"),
    ]


def batch():
    t = "20250306"
    cbc3 = itp0003_m2("TX2503060610", "100500") + [
        orc("ORD-250306-021", "LAB-2503060331", t + "082000"),
        obr(1, "ORD-250306-021", "LAB-2503060331", "CBC^Complete blood count^99TXL",
            t + "083000", t + "095500", "HM"),
        *cbc(1, "88", t + "083000"),
        spm("SP2503060331", EDTA, t + "083000", t + "090000"),
    ]
    chem3 = itp0003_m2("TX2503060611", "104000") + [
        orc("ORD-250306-022", "LAB-2503060332", t + "082000"),
        obr(1, "ORD-250306-022", "LAB-2503060332", "CHEM^Liver and renal chemistry^99TXL",
            t + "083000", t + "103500", "CH"),
        obx(1, "NM", "ALT^ALT (GPT)^99TXL", "19", "U/L^^UCUM", "9-50", "N", "F", t + "083000"),
        obx(2, "NM", "AST^AST (GOT)^99TXL", "26", "U/L^^UCUM", "15-40", "N", "F", t + "083000"),
        obx(3, "NM", "TBIL^Total bilirubin^99TXL", "8.7", UMOL, "3.4-20.5", "N", "F", t + "083000"),
        obx(4, "NM", "CREAT^Creatinine^99TXL", "38", UMOL, "27-62", "N", "F", t + "083000"),
        spm("SP2503060332", SERUM, t + "083000", t + "090000"),
    ]
    cbc1 = [
        msh(t + "151500", "TX2503061107"), pid("ITP-0001"), pv1("V0001598", t + "140000"),
        orc("ORD-250306-030", "LAB-2503060517", t + "141000"),
        obr(1, "ORD-250306-030", "LAB-2503060517", "CBC^Complete blood count^99TXL",
            t + "142000", t + "150500", "HM"),
        *cbc(1, "41", t + "142000", more=False),
        spm("SP2503060517", EDTA, t + "142000", t + "143500"),
    ]
    head = "|^~\\&|" + SEND_APP + "|" + SEND_FAC + "|TRIALBRIDGE|NCT06813157|" + t + "235900+0800"
    write("nct06813157-batch-20250306.hl7",
          ["FHS" + head + "||results-20250306.hl7", "BHS" + head + "||daily results"] +
          cbc3 + chem3 + cbc1 + ["BTS|3", "FTS|1"], terminator="\r\n")


def deleted():
    t = "20250307"
    write("nct06813157-itp-0003-fu-m2-deleted.hl7", [
        msh(t + "090200", "TX2503070044"), pid("ITP-0003"), pv1("V0003517", "20250306081000"),
        orc("ORD-250306-022", "LAB-2503060332", "20250306082000"),
        obr(1, "ORD-250306-022", "LAB-2503060332", "CHEM^Liver and renal chemistry^99TXL",
            "20250306083000", t + "085500", "CH", status="C"),
        obx(2, "NM", "AST^AST (GOT)^99TXL", "", "U/L^^UCUM", "", "", "D", "20250306083000"),
        "NTE|1|L|Result withdrawn: the AST was reported on the wrong patient.",
    ])


def latin1():
    # A central laboratory in Germany that sends ISO 8859-1: micro sign 0xB5, umlauts.
    t = "20250204"
    central_app = "ZENTRALLABOR^2.16.276.99999.7.1^ISO"
    central_fac = "ZENTRALLABOR-BERLIN^2.16.276.99999.7^ISO"
    org = "Zentrallabor Berlin^L^^^^ZL&2.16.276.99999.7&ISO^XX^^^ZLB1"
    rows = [
        ("ALT^ALT (GPT)^99ZL", "28", "U/L", "<50", "N"),
        ("AST^AST (GOT)^99ZL", "31", "U/L", "<50", "N"),
        ("TBIL^Bilirubin gesamt^99ZL", "9.8", "\u00b5mol/L", "<21", "N"),
        ("CREA^Kreatinin^99ZL", "233", "\u00b5mol/L", "57-111", "H"),
        ("CRCL^Kreatinin-Clearance^99ZL", "52", "mL/min", ">90", "L"),
    ]
    obxs = [seg("OBX", {1: str(i + 1), 2: "NM", 3: c, 5: v, 6: u, 7: r, 8: f, 11: "F",
                        14: t + "070000", 23: org}) for i, (c, v, u, r, f) in enumerate(rows)]
    write("nct06813157-itp-0002-latin1.hl7", [
        msh(t + "162000", "ZL-0204-7731", charset="8859/1", app=central_app, fac=central_fac),
        pid("ITP-0002"),
        seg("ORC", {1: "RE", 2: "ORD-250203-031^TAIXIN-HIS", 3: "ZL25020477^ZENTRALLABOR"}),
        seg("OBR", {1: "1", 2: "ORD-250203-031^TAIXIN-HIS", 3: "ZL25020477^ZENTRALLABOR",
                    4: "RFT^Nierenfunktion und Leberwerte^99ZL", 7: t + "070000",
                    22: t + "161500", 24: "CH", 25: "F"}),
        "NTE|1|L|Probe leicht hämolytisch; Kreatinin-Clearance aus 24-h-Sammelurin (Urinvolumen "
        "1,8 l). Ergebnis ärztlich geprüft.",
        *obxs,
    ], encoding="latin-1")


def custom_delimiters():
    # A sender with its own delimiters: field '!', component '@', repetition '*', escape '$',
    # subcomponent '%'; a smear report with formatted text and escape sequences.
    t = "20250306"
    segments = [
        "MSH!@*$%!" + "!".join([
            "TAIXIN-PATH@2.16.156.99999.10.3@ISO", "TAIXIN@2.16.156.99999.10@ISO", "TRIALBRIDGE",
            "NCT06813157", t + "113000+0800", "", "ORU@R01@ORU_R01", "TP2503060077", "P", "2.5.1",
            "", "", "", "", "CHN", "UNICODE UTF-8"]),
        seg("PID", {1: "1", 3: "440-1973-0098@@@CNHI%2.16.156.99999.2%ISO@PI*MRN0050102@@@TAIXIN%"
                    "https://dongguan-taixin.example/sid/mrn%URI@MR", 5: "Chen@Xiaoming@@@@@L",
                    7: "20150721", 8: "M"}, sep="!"),
        seg("ORC", {1: "RE", 2: "ORD-250306-025@TAIXIN-HIS", 3: "PATH-2503060077@TAIXIN-PATH"},
            sep="!"),
        seg("OBR", {1: "1", 2: "ORD-250306-025@TAIXIN-HIS", 3: "PATH-2503060077@TAIXIN-PATH",
                    4: "SMEAR@Peripheral blood smear@99TXL", 7: t + "083000", 22: t + "112500",
                    24: "HM", 25: "F"}, sep="!"),
        seg("OBX", {1: "1", 2: "FT", 3: "SMEAR@Blood smear review@99TXL",
                    5: "$H$Platelets$N$: markedly reduced, many large forms (MPV 12$S$13 fL).$.br$"
                       "Red cells: normocytic $F$ normochromic; no schistocytes.$.br$$.br$"
                       "Comment: count $T$ morphology consistent with ITP (see $X41$$E$B note).",
                    11: "F", 14: t + "083000"}, sep="!"),
        seg("OBX", {1: "2", 2: "ST", 3: "PLTEST@Platelet estimate@99TXL",
                    5: "decreased*confirmed by a second reviewer", 11: "F"}, sep="!"),
        seg("OBX", {1: "3", 2: "NM", 3: "PLT@Platelet count@99TXL@777-3@Platelets [#/volume] in "
                    "Blood by Automated count@LN", 5: "88", 6: "x10E9/L@x10E9/L@99TXL",
                    7: "125-350", 8: "L", 11: "F", 14: t + "083000"}, sep="!"),
        "NTE!1!L!Reviewed by Dr. Li $E$ Dr. Zhou.",
    ]
    write("nct06813157-itp-0003-custom-delimiters.hl7", segments)


if __name__ == "__main__":
    screening()
    baseline()
    followup_d14()
    followup_m1()
    batch()
    deleted()
    latin1()
    custom_delimiters()
    for f in sorted(HERE.glob("*.hl7")):
        print(f.name, f.stat().st_size)
